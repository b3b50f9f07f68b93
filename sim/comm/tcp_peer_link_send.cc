// TcpPeerLink's send side: the peer table, opening a connection (connect with retries, the
// handshake) and writing frames. The receive side and the link's lifetime are in
// tcp_peer_link.cc.
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "sim/base/status.h"
#include "sim/comm/tcp_peer_link.h"
#include "sim/comm/tcp_wire.h"

namespace distsim::comm {
namespace {

std::string RankName(int rank) { return absl::StrCat("rank ", rank); }

// With a NIC: rank_host lists a valid simulated host for every rank, and this rank's is the
// NIC port's.
absl::Status CheckRankHosts(const TcpPeerLinkOptions& options) {
  const std::vector<int>& hosts = options.rank_host;
  const std::string self = RankName(options.rank);
  if (static_cast<int>(hosts.size()) != options.size) {
    return absl::InvalidArgumentError(absl::StrCat(self, ": rank_host has ", hosts.size(),
                                                   " entries for ", options.size, " ranks"));
  }
  const int table_hosts = options.nic->table().hosts();
  for (int r = 0; r < options.size; ++r) {
    if (hosts[r] < 0 || hosts[r] >= table_hosts) {
      return absl::InvalidArgumentError(absl::StrCat(self, ": rank_host[", r, "] = ", hosts[r],
                                                     " is not a host of the NIC table (",
                                                     table_hosts, " hosts)"));
    }
  }
  if (hosts[options.rank] != options.nic->host()) {
    return absl::InvalidArgumentError(
        absl::StrCat(self, ": rank_host says host ", hosts[options.rank],
                     " but the NIC port is on host ", options.nic->host()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status TcpPeerLink::Connect(const std::vector<std::string>& peer_addresses,
                                  absl::Time deadline) {
  if (static_cast<int>(peer_addresses.size()) != options_.size) {
    return absl::InvalidArgumentError(absl::StrCat(RankName(options_.rank), ": peer table has ",
                                                   peer_addresses.size(), " entries for ",
                                                   options_.size, " ranks"));
  }
  if (options_.nic != nullptr) DS_RETURN_IF_ERROR(CheckRankHosts(options_));
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
  DS_ASSIGN_OR_RETURN(const int fd, Dial(*target, peer, deadline));
  SetNoDelay(fd);
  uint8_t answer = 0xFF;
  const int error = SendHandshake(fd, options_.rank, options_.run_token, deadline, &answer);
  absl::Status status = HandshakeStatus(error, answer, peer);
  if (!status.ok()) {
    Forget(fd);
    return status;
  }
  return fd;
}

absl::StatusOr<int> TcpPeerLink::Dial(const sockaddr_in& target, const std::string& peer,
                                      absl::Time deadline) {
  while (true) {
    DS_ASSIGN_OR_RETURN(const int fd, NewSocket());
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    int error = 0;
    if (connect(fd, reinterpret_cast<const sockaddr*>(&target), sizeof(target)) != 0) {
      error = errno;
      if (error == EINPROGRESS) {
        error = WaitFor(fd, POLLOUT, deadline);
        socklen_t size = sizeof(error);
        if (error == 0) getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size);
      }
    }
    if (error == 0) return fd;
    Forget(fd);
    if (aborted_.load()) return absl::CancelledError(RankName(options_.rank) + ": link aborted");
    if (absl::Now() + absl::Milliseconds(20) >= deadline) {
      return absl::UnavailableError(absl::StrCat(peer, " was not reachable from ",
                                                 RankName(options_.rank),
                                                 " before the deadline: ", ErrnoText(error)));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
}

absl::Status TcpPeerLink::HandshakeStatus(int error, uint8_t answer, const std::string& peer) {
  const std::string self = RankName(options_.rank);
  if (aborted_.load()) return absl::CancelledError(self + ": link aborted");
  if (error == ETIMEDOUT) {
    return absl::UnavailableError(
        absl::StrCat(peer, " did not answer the handshake of ", self, " before the deadline"));
  }
  if (error != 0) {
    return absl::UnavailableError(
        absl::StrCat("handshake with ", peer, " failed: ", ErrnoText(error)));
  }
  if (answer == kHandshakeWrongToken) {
    return absl::PermissionDeniedError(
        absl::StrCat(peer, " refused the connection from ", self, ": wrong run token"));
  }
  if (answer != kHandshakeAccepted) {
    return absl::InvalidArgumentError(
        absl::StrCat(peer, " refused the connection from ", self, ": bad rank"));
  }
  return absl::OkStatus();
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
  TcpFrameHeader header{
      .tag = tag, .length = static_cast<uint32_t>(data.size_bytes()), .magic = kTcpFrameMagic};
  const uint64_t wire = kTcpFrameHeaderBytes + header.length;
  // Shaping: the frame crosses the simulated NICs before it is written (this sleeps through its
  // serialization there, outside the connection's lock); the receiver waits for `delivered`.
  if (options_.nic != nullptr) {
    const TransferTimes times = options_.nic->Send(options_.rank_host[to], wire, &aborted_);
    if (aborted_.load()) return absl::CancelledError(self + ": link aborted");
    if (times.crossed_nic) header.delivered_ns = absl::ToUnixNanos(times.delivered);
  }
  DS_RETURN_IF_ERROR(WriteFrame(to, conn, header, data, deadline));
  bytes_sent_ += wire;
  if (header.delivered_ns != 0) nic_bytes_sent_ += wire;
  return absl::OkStatus();
}

absl::Status TcpPeerLink::WriteFrame(int to, OutConn* conn, const TcpFrameHeader& header,
                                     std::span<const float> data, absl::Time deadline) {
  uint8_t bytes[kTcpFrameHeaderBytes];
  EncodeTcpFrameHeader(header, bytes);
  iovec iov[2] = {{bytes, sizeof(bytes)}, {const_cast<float*>(data.data()), data.size_bytes()}};
  absl::MutexLock lock(&conn->mu);
  if (!conn->status.ok()) return conn->status;
  const int fd = conn->fd.load();
  const int error = SendAll(fd, iov, header.length > 0 ? 2 : 1, deadline);
  if (error == 0) return absl::OkStatus();
  // A frame may be half written: the connection is unusable from now on.
  shutdown(fd, SHUT_RDWR);
  const std::string self = RankName(options_.rank), peer = RankName(to);
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

}  // namespace distsim::comm
