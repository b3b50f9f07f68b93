#include "sim/comm/tcp_wire.h"

#include <netdb.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace distsim::comm {
namespace {

// Milliseconds from now to `deadline` for poll(), rounded up, at least 0.
int PollTimeout(absl::Time deadline) {
  const absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return 0;
  return static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(left) + 1, 1 << 30));
}

}  // namespace

std::string ErrnoText(int error) { return std::string(strerror(error)); }

int WaitFor(int fd, short events, absl::Time deadline) {
  while (true) {
    pollfd p{fd, events, 0};
    const int n = poll(&p, 1, PollTimeout(deadline));
    if (n > 0) return 0;
    if (n < 0 && errno != EINTR) return errno;
    if (n == 0 && absl::Now() >= deadline) return ETIMEDOUT;
  }
}

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

int SendHandshake(int fd, int rank, const std::string& run_token, absl::Time deadline,
                  uint8_t* answer) {
  uint8_t hello[kTcpHelloBytes];
  EncodeTcpHello(rank, static_cast<uint32_t>(run_token.size()), hello);
  iovec iov[2] = {{hello, sizeof(hello)}, {const_cast<char*>(run_token.data()), run_token.size()}};
  int error = SendAll(fd, iov, 2, deadline);
  if (error == 0) error = WaitFor(fd, POLLIN, deadline);
  if (error == 0) {
    const ssize_t n = recv(fd, answer, 1, 0);
    error = n == 1 ? 0 : (n == 0 ? ECONNRESET : errno);
  }
  return error;
}

int AnswerHandshake(int fd, const std::string& run_token, int rank, int size) {
  uint8_t bytes[kTcpHelloBytes];
  if (ReadAll(fd, bytes, sizeof(bytes)) != 0) return -1;
  const std::optional<TcpHello> hello = ParseTcpHello(bytes);
  if (!hello.has_value()) return -1;
  std::string token(hello->token_bytes, '\0');
  if (ReadAll(fd, token.data(), token.size()) != 0) return -1;
  const uint8_t answer = AnswerTcpHello(*hello, token, run_token, rank, size);
  if (send(fd, &answer, 1, MSG_NOSIGNAL) == 1 && answer == kHandshakeAccepted) return hello->rank;
  return -1;
}

}  // namespace distsim::comm
