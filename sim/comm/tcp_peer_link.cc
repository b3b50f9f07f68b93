#include "sim/comm/tcp_peer_link.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace distsim::comm {
namespace {

constexpr uint32_t kHelloMagic = 0x4C545344;  // "DSTL"
constexpr uint32_t kFrameMagic = 0x46525344;  // "DSRF"
constexpr uint32_t kMaxTokenBytes = 4096;
constexpr uint8_t kAccepted = 0, kWrongToken = 1, kBadRank = 2;

std::string RankName(int rank) { return absl::StrCat("rank ", rank); }
std::string ErrnoText(int error) { return std::string(strerror(error)); }

// Milliseconds from now to `deadline` for poll(), rounded up, at least 0.
int PollTimeout(absl::Time deadline) {
  const absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return 0;
  return static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(left) + 1, 1 << 30));
}

// Waits until `fd` is ready for `events` or `deadline`. 0 when ready (or in error: the next call
// says which), ETIMEDOUT past the deadline.
int WaitFor(int fd, short events, absl::Time deadline) {
  while (true) {
    pollfd p{fd, events, 0};
    const int n = poll(&p, 1, PollTimeout(deadline));
    if (n > 0) return 0;
    if (n < 0 && errno != EINTR) return errno;
    if (n == 0 && absl::Now() >= deadline) return ETIMEDOUT;
  }
}

// Writes every byte of `iov` to the non-blocking socket `fd` by `deadline`. 0, ETIMEDOUT or the
// socket's errno (EPIPE, ECONNRESET, ...). Modifies `iov`.
int SendAll(int fd, iovec* iov, int count, absl::Time deadline) {
  while (count > 0) {
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = count;
    const ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return errno;
      if (int e = WaitFor(fd, POLLOUT, deadline); e != 0) return e;
      continue;
    }
    size_t left = static_cast<size_t>(n);
    while (count > 0 && left >= iov->iov_len) {
      left -= iov->iov_len;
      ++iov;
      --count;
    }
    if (count > 0) {
      iov->iov_base = static_cast<char*>(iov->iov_base) + left;
      iov->iov_len -= left;
    }
  }
  return 0;
}

// Reads exactly `size` bytes from the blocking socket `fd`. 0 on success, -1 on EOF before any
// byte, else the errno (EPROTO for EOF mid-way).
int ReadAll(int fd, void* out, size_t size) {
  char* p = static_cast<char*>(out);
  size_t got = 0;
  while (got < size) {
    const ssize_t n = recv(fd, p + got, size - got, MSG_WAITALL);
    if (n == 0) return got == 0 ? -1 : EPROTO;
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    got += static_cast<size_t>(n);
  }
  return 0;
}

void SetNoDelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

// Resolves "host:port" to an IPv4 address.
absl::StatusOr<sockaddr_in> Resolve(const std::string& address) {
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port) ||
      port <= 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("\"", address, "\" is not host:port"));
  }
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string host = address.substr(0, colon);
  if (getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0 || found == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("cannot resolve host \"", host, "\""));
  }
  sockaddr_in out;
  std::memcpy(&out, found->ai_addr, sizeof(out));
  freeaddrinfo(found);
  out.sin_port = htons(static_cast<uint16_t>(port));
  return out;
}

}  // namespace

// Recycles frame buffers: a fresh multi-megabyte allocation per frame costs page faults and
// zeroing comparable to the transfer itself. Frames hold a reference, so the pool outlives the link
// while a frame is queued anywhere. Keeps at most kMaxPooledBytes idle.
class TcpPeerLink::BufferPool : public std::enable_shared_from_this<BufferPool> {
 public:
  // A buffer of at least `bytes`, given back to the pool when the returned owner is released.
  std::shared_ptr<std::byte> Get(size_t bytes) {
    Buffer buffer;
    {
      absl::MutexLock lock(&mu_);
      // Best fit among the idle buffers (there are few: about one collective's frames).
      auto best = free_.end();
      for (auto it = free_.begin(); it != free_.end(); ++it) {
        if (it->capacity >= bytes && (best == free_.end() || it->capacity < best->capacity)) {
          best = it;
        }
      }
      if (best != free_.end()) {
        buffer = std::move(*best);
        free_.erase(best);
        idle_bytes_ -= buffer.capacity;
      }
    }
    if (buffer.data == nullptr) {
      buffer.capacity = std::max<size_t>(bytes, 1);
      buffer.data.reset(new std::byte[buffer.capacity]);
    }
    std::byte* raw = buffer.data.release();
    const size_t capacity = buffer.capacity;
    return std::shared_ptr<std::byte>(raw, [pool = shared_from_this(), capacity](std::byte* p) {
      pool->Put(Buffer{std::unique_ptr<std::byte[]>(p), capacity});
    });
  }

 private:
  static constexpr size_t kMaxPooledBytes = 256 << 20;
  struct Buffer {
    std::unique_ptr<std::byte[]> data;
    size_t capacity = 0;
  };
  void Put(Buffer buffer) {
    absl::MutexLock lock(&mu_);
    if (idle_bytes_ + buffer.capacity > kMaxPooledBytes) return;  // freed
    idle_bytes_ += buffer.capacity;
    free_.push_back(std::move(buffer));
  }
  absl::Mutex mu_;
  std::vector<Buffer> free_ ABSL_GUARDED_BY(mu_);
  size_t idle_bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

struct TcpPeerLink::OutConn {
  absl::Mutex mu;  // one frame at a time per connection; held while opening
  bool tried ABSL_GUARDED_BY(mu) = false;
  absl::Status status ABSL_GUARDED_BY(mu);  // sticky: once failed, stays failed
  std::atomic<int> fd{-1};                  // set once, when open
};

TcpPeerLink::TcpPeerLink(TcpPeerLinkOptions options)
    : options_(std::move(options)),
      mailbox_(options_.rank, options_.size, options_.spin_micros),
      pool_(std::make_shared<BufferPool>()),
      shaped_from_(new std::atomic<bool>[std::max(options_.size, 1)]) {
  for (int r = 0; r < options_.size; ++r) {
    out_.push_back(std::make_unique<OutConn>());
    shaped_from_[r].store(false);
  }
}

TcpPeerLink::~TcpPeerLink() {
  Close(absl::Now());
  absl::MutexLock lock(&mu_);
  for (int fd : fds_) close(fd);
  fds_.clear();
}

absl::StatusOr<int> TcpPeerLink::NewSocket() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("socket(): ", ErrnoText(errno)));
  absl::MutexLock lock(&mu_);
  if (aborted_.load() || closed_) {
    close(fd);
    return aborted_.load() ? absl::CancelledError(RankName(options_.rank) + ": link aborted")
                           : absl::FailedPreconditionError(RankName(options_.rank) +
                                                           ": link closed");
  }
  fds_.push_back(fd);
  return fd;
}

void TcpPeerLink::Forget(int fd) {
  absl::MutexLock lock(&mu_);
  auto it = std::find(fds_.begin(), fds_.end(), fd);
  if (it != fds_.end()) fds_.erase(it);
  close(fd);
}

void TcpPeerLink::ShutdownAll() {
  absl::MutexLock lock(&mu_);
  for (int fd : fds_) shutdown(fd, SHUT_RDWR);
}

absl::StatusOr<int> TcpPeerLink::Listen() {
  {
    absl::MutexLock lock(&mu_);
    if (listen_fd_ >= 0) return absl::FailedPreconditionError("Listen() called twice");
  }
  absl::StatusOr<sockaddr_in> address = Resolve(options_.bind_host + ":1");
  if (!address.ok()) return address.status();
  address->sin_port = 0;
  absl::StatusOr<int> fd = NewSocket();
  if (!fd.ok()) return fd.status();
  int one = 1;
  setsockopt(*fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in bound{};
  socklen_t length = sizeof(bound);
  if (bind(*fd, reinterpret_cast<const sockaddr*>(&*address), sizeof(*address)) != 0 ||
      listen(*fd, 64) != 0 ||
      getsockname(*fd, reinterpret_cast<sockaddr*>(&bound), &length) != 0) {
    const int error = errno;
    Forget(*fd);
    return absl::UnavailableError(absl::StrCat(RankName(options_.rank), ": cannot listen on ",
                                               options_.bind_host, ": ", ErrnoText(error)));
  }
  absl::MutexLock lock(&mu_);
  listen_fd_ = *fd;
  acceptor_ = std::thread([this] { AcceptLoop(); });
  return static_cast<int>(ntohs(bound.sin_port));
}

void TcpPeerLink::AcceptLoop() {
  int listen_fd;
  {
    absl::MutexLock lock(&mu_);
    listen_fd = listen_fd_;
  }
  while (true) {
    const int fd = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;  // shut down (Close or Abort), or a fatal error
    }
    SetNoDelay(fd);
    absl::MutexLock lock(&mu_);
    if (closed_ || aborted_.load()) {
      close(fd);
      return;
    }
    fds_.push_back(fd);
    ++live_readers_;
    readers_.emplace_back([this, fd] { ReadLoop(fd); });
  }
}

void TcpPeerLink::ReadLoop(int fd) {
  const std::string self = RankName(options_.rank);
  int from = -1;
  absl::Status ended;
  // Handshake: magic, rank, token length, token; answered with one byte.
  uint32_t hello[3];
  if (ReadAll(fd, hello, sizeof(hello)) == 0 && hello[0] == kHelloMagic &&
      hello[2] <= kMaxTokenBytes) {
    std::string token(hello[2], '\0');
    if (ReadAll(fd, token.data(), token.size()) == 0) {
      const int rank = static_cast<int>(hello[1]);
      uint8_t answer = kAccepted;
      if (token != options_.run_token) {
        answer = kWrongToken;
      } else if (rank < 0 || rank >= options_.size || rank == options_.rank) {
        answer = kBadRank;
      }
      if (send(fd, &answer, 1, MSG_NOSIGNAL) == 1 && answer == kAccepted) from = rank;
    }
  }
  while (from >= 0) {
    uint8_t header[kTcpFrameHeaderBytes];
    int error = ReadAll(fd, header, sizeof(header));
    if (error == -1) {
      ended = absl::UnavailableError(
          absl::StrCat(RankName(from), " closed its connection to ", self));
      break;
    }
    FrameTag tag;
    uint32_t length = 0, magic = 0;
    int64_t delivered_ns = 0;
    std::memcpy(&tag.op, header, 4);
    std::memcpy(&tag.segment, header + 4, 4);
    std::memcpy(&tag.step, header + 8, 8);
    std::memcpy(&length, header + 16, 4);
    std::memcpy(&magic, header + 20, 4);
    std::memcpy(&delivered_ns, header + 24, 8);
    if (error == 0 && (magic != kFrameMagic || length % sizeof(float) != 0 ||
                       static_cast<int64_t>(length) > options_.max_frame_bytes)) {
      ended = absl::DataLossError(absl::StrCat("malformed frame from ", RankName(from), " to ",
                                               self, " (payload of ", length, " bytes, limit ",
                                               options_.max_frame_bytes, ")"));
      break;
    }
    std::shared_ptr<std::byte> payload = pool_->Get(length);
    if (error == 0) error = ReadAll(fd, payload.get(), length);
    if (error != 0) {
      ended = absl::UnavailableError(absl::StrCat("the connection from ", RankName(from), " to ",
                                                  self, " broke: ",
                                                  ErrnoText(error == -1 ? EPROTO : error)));
      break;
    }
    InboundFrame frame;
    frame.pieces.emplace_back(payload.get(), length);
    frame.bytes = length;
    frame.wire_bytes = kTcpFrameHeaderBytes + length;
    frame.owner = std::move(payload);
    if (delivered_ns != 0) NoteShaped(from, tag, delivered_ns, frame.wire_bytes);
    mailbox_.Put(from, tag, std::move(frame));
  }
  if (from >= 0) mailbox_.ClosePeer(from, ended);
  Forget(fd);
  absl::MutexLock lock(&mu_);
  --live_readers_;
}

absl::Status TcpPeerLink::Connect(const std::vector<std::string>& peer_addresses,
                                  absl::Time deadline) {
  if (static_cast<int>(peer_addresses.size()) != options_.size) {
    return absl::InvalidArgumentError(absl::StrCat(RankName(options_.rank), ": peer table has ",
                                                   peer_addresses.size(), " entries for ",
                                                   options_.size, " ranks"));
  }
  if (options_.nic != nullptr) {
    const std::vector<int>& hosts = options_.rank_host;
    if (static_cast<int>(hosts.size()) != options_.size) {
      return absl::InvalidArgumentError(absl::StrCat(RankName(options_.rank), ": rank_host has ",
                                                     hosts.size(), " entries for ", options_.size,
                                                     " ranks"));
    }
    for (int r = 0; r < options_.size; ++r) {
      if (hosts[r] < 0 || hosts[r] >= options_.nic->table().hosts()) {
        return absl::InvalidArgumentError(
            absl::StrCat(RankName(options_.rank), ": rank_host[", r, "] = ", hosts[r],
                         " is not a host of the NIC table (", options_.nic->table().hosts(),
                         " hosts)"));
      }
    }
    if (hosts[options_.rank] != options_.nic->host()) {
      return absl::InvalidArgumentError(absl::StrCat(
          RankName(options_.rank), ": rank_host says host ", hosts[options_.rank],
          " but the NIC port is on host ", options_.nic->host()));
    }
  }
  {
    absl::MutexLock lock(&mu_);
    addresses_ = peer_addresses;
  }
  if (options_.size == 1) return absl::OkStatus();
  const int right = (options_.rank + 1) % options_.size;
  return EnsureOpen(right, out_[right].get(), deadline);
}

absl::StatusOr<int> TcpPeerLink::Open(int to, absl::Time deadline) {
  std::string address;
  {
    absl::MutexLock lock(&mu_);
    if (addresses_.empty()) {
      return absl::FailedPreconditionError(RankName(options_.rank) + ": Connect() was not called");
    }
    address = addresses_[to];
  }
  const std::string peer = absl::StrCat(RankName(to), " (", address, ")");
  absl::StatusOr<sockaddr_in> target = Resolve(address);
  if (!target.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(peer, ": ", target.status().message()));
  }
  // Connect, retrying while the peer is not listening yet.
  int fd = -1;
  while (true) {
    absl::StatusOr<int> created = NewSocket();
    if (!created.ok()) return created.status();
    fd = *created;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    int error = 0;
    if (connect(fd, reinterpret_cast<const sockaddr*>(&*target), sizeof(*target)) != 0) {
      error = errno;
      if (error == EINPROGRESS) {
        error = WaitFor(fd, POLLOUT, deadline);
        socklen_t size = sizeof(error);
        if (error == 0) getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size);
      }
    }
    if (error == 0) break;
    Forget(fd);
    if (aborted_.load()) return absl::CancelledError(RankName(options_.rank) + ": link aborted");
    if (absl::Now() + absl::Milliseconds(20) >= deadline) {
      return absl::UnavailableError(absl::StrCat(peer, " was not reachable from ",
                                                 RankName(options_.rank),
                                                 " before the deadline: ", ErrnoText(error)));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  SetNoDelay(fd);
  // Handshake.
  uint32_t hello[3] = {kHelloMagic, static_cast<uint32_t>(options_.rank),
                       static_cast<uint32_t>(options_.run_token.size())};
  iovec iov[2] = {{hello, sizeof(hello)},
                  {const_cast<char*>(options_.run_token.data()), options_.run_token.size()}};
  int error = SendAll(fd, iov, 2, deadline);
  uint8_t answer = 0xFF;
  if (error == 0) error = WaitFor(fd, POLLIN, deadline);
  if (error == 0) {
    const ssize_t n = recv(fd, &answer, 1, 0);
    error = n == 1 ? 0 : (n == 0 ? ECONNRESET : errno);
  }
  absl::Status status;
  if (aborted_.load()) {
    status = absl::CancelledError(RankName(options_.rank) + ": link aborted");
  } else if (error == ETIMEDOUT) {
    status = absl::UnavailableError(absl::StrCat(peer, " did not answer the handshake of ",
                                                 RankName(options_.rank),
                                                 " before the deadline"));
  } else if (error != 0) {
    status = absl::UnavailableError(absl::StrCat("handshake with ", peer, " failed: ",
                                                 ErrnoText(error)));
  } else if (answer == kWrongToken) {
    status = absl::PermissionDeniedError(absl::StrCat(
        peer, " refused the connection from ", RankName(options_.rank), ": wrong run token"));
  } else if (answer != kAccepted) {
    status = absl::InvalidArgumentError(absl::StrCat(
        peer, " refused the connection from ", RankName(options_.rank), ": bad rank"));
  }
  if (!status.ok()) {
    Forget(fd);
    return status;
  }
  return fd;
}

absl::Status TcpPeerLink::EnsureOpen(int to, OutConn* conn, absl::Time deadline) {
  absl::MutexLock lock(&conn->mu);
  if (!conn->tried) {
    absl::StatusOr<int> fd = Open(to, deadline);
    if (!fd.ok() && fd.status().code() == absl::StatusCode::kFailedPrecondition) {
      return fd.status();  // not connected yet, or closed: may be retried
    }
    conn->tried = true;
    conn->status = fd.status();
    if (fd.ok()) conn->fd.store(*fd);
  }
  return conn->status;
}

absl::Status TcpPeerLink::Send(int to, const FrameTag& tag, std::span<const float> data,
                               absl::Time deadline) {
  const std::string self = RankName(options_.rank);
  if (aborted_.load()) return absl::CancelledError(self + ": link aborted");
  if (to < 0 || to >= options_.size || to == options_.rank) {
    return absl::InvalidArgumentError(absl::StrCat(self, " cannot send to rank ", to));
  }
  if (static_cast<int64_t>(data.size_bytes()) > options_.max_frame_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("a frame of ", data.size_bytes(),
                                                   " bytes exceeds the link's limit of ",
                                                   options_.max_frame_bytes));
  }
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return absl::FailedPreconditionError(self + ": link closed");
  }
  OutConn* conn = out_[to].get();
  absl::Status open = EnsureOpen(to, conn, deadline);
  if (!open.ok()) {
    if (aborted_.load()) return absl::CancelledError(self + ": link aborted");
    return open;
  }
  const uint32_t length = static_cast<uint32_t>(data.size_bytes());
  const uint64_t wire = kTcpFrameHeaderBytes + length;
  // Shaping: the frame crosses the simulated NICs before it is written (this sleeps through its
  // serialization there, outside the connection's lock); the receiver waits for `delivered`.
  int64_t delivered_ns = 0;
  if (options_.nic != nullptr) {
    const TransferTimes times = options_.nic->Send(options_.rank_host[to], wire, &aborted_);
    if (aborted_.load()) return absl::CancelledError(self + ": link aborted");
    if (times.crossed_nic) delivered_ns = absl::ToUnixNanos(times.delivered);
  }
  uint8_t header[kTcpFrameHeaderBytes];
  std::memcpy(header, &tag.op, 4);
  std::memcpy(header + 4, &tag.segment, 4);
  std::memcpy(header + 8, &tag.step, 8);
  std::memcpy(header + 16, &length, 4);
  std::memcpy(header + 20, &kFrameMagic, 4);
  std::memcpy(header + 24, &delivered_ns, 8);
  iovec iov[2] = {{header, sizeof(header)},
                  {const_cast<float*>(data.data()), data.size_bytes()}};
  absl::MutexLock lock(&conn->mu);
  if (!conn->status.ok()) return conn->status;
  const int fd = conn->fd.load();
  const int error = SendAll(fd, iov, length > 0 ? 2 : 1, deadline);
  if (error != 0) {
    // A frame may be half written: the connection is unusable from now on.
    shutdown(fd, SHUT_RDWR);
    const std::string peer = RankName(to);
    if (aborted_.load()) {
      conn->status = absl::CancelledError(self + ": link aborted");
    } else if (error == ETIMEDOUT) {
      conn->status = absl::DeadlineExceededError(
          absl::StrCat(peer, " did not take a frame from ", self, " before the deadline"));
    } else {
      conn->status = absl::UnavailableError(
          absl::StrCat("the connection from ", self, " to ", peer, " broke: ", ErrnoText(error)));
    }
    return conn->status;
  }
  bytes_sent_ += wire;
  if (delivered_ns != 0) nic_bytes_sent_ += wire;
  return absl::OkStatus();
}

absl::Status TcpPeerLink::Recv(int from, const FrameTag& tag, std::span<float> out,
                               absl::Time deadline, RecvMode mode) {
  // Bytes count when a frame is consumed, not when it arrives.
  uint64_t wire = 0;
  absl::Status status = mailbox_.Take(from, tag, out, mode, deadline, &wire);
  bytes_received_ += wire;
  if (!status.ok() || from < 0 || from >= options_.size || !shaped_from_[from].load()) {
    return status;
  }
  int64_t delivered_ns = 0;
  uint64_t nic_wire = 0;
  if (!PopShaped(from, tag, &delivered_ns, &nic_wire)) return status;
  nic_bytes_received_ += nic_wire;
  // The simulated network has not delivered it yet: wait (Abort ends the wait).
  if (!NicPort::SleepUntil(absl::FromUnixNanos(delivered_ns), &aborted_)) {
    return absl::CancelledError(RankName(options_.rank) + ": link aborted");
  }
  return status;
}

void TcpPeerLink::NoteShaped(int from, const FrameTag& tag, int64_t delivered_ns,
                             uint64_t wire_bytes) {
  shaped_from_[from].store(true);
  absl::MutexLock lock(&shaped_mu_);
  shaped_[{from, tag}].push_back(ShapedFrame{delivered_ns, wire_bytes});
}

bool TcpPeerLink::PopShaped(int from, const FrameTag& tag, int64_t* delivered_ns,
                            uint64_t* wire_bytes) {
  absl::MutexLock lock(&shaped_mu_);
  auto it = shaped_.find({from, tag});
  if (it == shaped_.end()) return false;
  *delivered_ns = it->second.front().delivered_ns;
  *wire_bytes = it->second.front().wire_bytes;
  it->second.pop_front();
  if (it->second.empty()) shaped_.erase(it);
  return true;
}

void TcpPeerLink::Abort() {
  aborted_.store(true);
  mailbox_.Abort();
  ShutdownAll();
}

void TcpPeerLink::Close(absl::Time deadline) {
  {
    absl::MutexLock lock(&mu_);
    closed_ = true;
    if (listen_fd_ >= 0) shutdown(listen_fd_, SHUT_RDWR);
  }
  // Clean end of every outgoing connection: the peer reads every frame sent, then EOF. Done
  // without the connection's mutex, so a Send blocked on a stalled peer cannot hold Close up.
  for (auto& conn : out_) {
    const int fd = conn->fd.load();
    if (fd >= 0) shutdown(fd, SHUT_WR);
  }
  {
    absl::MutexLock lock(&mu_);
    auto readers_done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return live_readers_ == 0; };
    mu_.AwaitWithDeadline(absl::Condition(&readers_done), deadline);
  }
  ShutdownAll();
  std::thread acceptor;
  {
    absl::MutexLock lock(&mu_);
    acceptor = std::move(acceptor_);
  }
  if (acceptor.joinable()) acceptor.join();
  std::vector<std::thread> readers;
  {
    absl::MutexLock lock(&mu_);
    readers.swap(readers_);
  }
  for (std::thread& t : readers) t.join();
}

}  // namespace distsim::comm
