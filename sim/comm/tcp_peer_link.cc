#include "sim/comm/tcp_peer_link.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "sim/base/status.h"
#include "sim/comm/frame_buffer_pool.h"
#include "sim/comm/tcp_wire.h"

namespace distsim::comm {
namespace {

std::string RankName(int rank) { return absl::StrCat("rank ", rank); }

}  // namespace

TcpPeerLink::TcpPeerLink(TcpPeerLinkOptions options)
    : options_(std::move(options)),
      mailbox_(options_.rank, options_.size, options_.spin_micros),
      pool_(std::make_shared<FrameBufferPool>()),
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
    return aborted_.load()
               ? absl::CancelledError(RankName(options_.rank) + ": link aborted")
               : absl::FailedPreconditionError(RankName(options_.rank) + ": link closed");
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
      listen(*fd, 64) != 0 || getsockname(*fd, reinterpret_cast<sockaddr*>(&bound), &length) != 0) {
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
  const int from = AnswerHandshake(fd, options_.run_token, options_.rank, options_.size);
  if (from >= 0) {
    absl::Status ended;
    while (ended.ok()) ended = ReadFrame(fd, from);
    mailbox_.ClosePeer(from, ended);
  }
  Forget(fd);
  absl::MutexLock lock(&mu_);
  --live_readers_;
}

absl::Status TcpPeerLink::ReadFrame(int fd, int from) {
  const std::string self = RankName(options_.rank);
  uint8_t bytes[kTcpFrameHeaderBytes];
  int error = ReadAll(fd, bytes, sizeof(bytes));
  if (error == -1) {
    return absl::UnavailableError(absl::StrCat(RankName(from), " closed its connection to ", self));
  }
  const TcpFrameHeader header = DecodeTcpFrameHeader(bytes);
  if (error == 0 && !TcpFrameHeaderValid(header, options_.max_frame_bytes)) {
    return absl::DataLossError(absl::StrCat("malformed frame from ", RankName(from), " to ", self,
                                            " (payload of ", header.length, " bytes, limit ",
                                            options_.max_frame_bytes, ")"));
  }
  std::shared_ptr<std::byte> payload;
  if (error == 0) {
    payload = pool_->Get(header.length);
    error = ReadAll(fd, payload.get(), header.length);
  }
  if (error != 0) {
    return absl::UnavailableError(
        absl::StrCat("the connection from ", RankName(from), " to ", self,
                     " broke: ", ErrnoText(error == -1 ? EPROTO : error)));
  }
  InboundFrame frame;
  frame.pieces.emplace_back(payload.get(), header.length);
  frame.bytes = header.length;
  frame.wire_bytes = kTcpFrameHeaderBytes + header.length;
  frame.owner = std::move(payload);
  if (header.delivered_ns != 0) NoteShaped(from, header.tag, header.delivered_ns, frame.wire_bytes);
  mailbox_.Put(from, header.tag, std::move(frame));
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
