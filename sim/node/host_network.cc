#include "sim/node/host_network.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"

namespace distsim::node {
namespace {

constexpr absl::Duration kRetryEvery = absl::Milliseconds(500);

std::string Text(const in_addr& address) {
  char text[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &address, text, sizeof(text));
  return text;
}

bool IsLoopbackAddress(const std::string& address) {
  in_addr a{};
  return inet_pton(AF_INET, address.c_str(), &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

// Sleeps one retry interval, or less when the deadline is nearer; false when stopped.
bool Pause(absl::Time deadline, const std::atomic<bool>* stop) {
  const absl::Time until = std::min(deadline, absl::Now() + kRetryEvery);
  while (absl::Now() < until) {
    if (stop != nullptr && stop->load()) return false;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return stop == nullptr || !stop->load();
}

absl::Status Stopped(const std::string& what) {
  return absl::CancelledError(absl::StrCat("stopped while ", what));
}

}  // namespace

absl::StatusOr<std::string> InterfaceAddress(const std::string& interface,
                                             const std::string& preferred) {
  ifaddrs* all = nullptr;
  if (getifaddrs(&all) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot list the network interfaces: errno ", errno));
  }
  std::vector<std::string> seen, mine;
  bool loopback = false;
  for (ifaddrs* i = all; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
    const std::string name = i->ifa_name;
    if (std::find(seen.begin(), seen.end(), name) == seen.end()) seen.push_back(name);
    if (name != interface) continue;
    mine.push_back(Text(reinterpret_cast<const sockaddr_in*>(i->ifa_addr)->sin_addr));
    loopback |= IsLoopbackAddress(mine.back());  // the loopback interface holds 127.0.0.0/8
  }
  freeifaddrs(all);
  if (mine.empty()) {
    return absl::NotFoundError(absl::StrCat("network interface \"", interface,
                                            "\" has no IPv4 address here; this host has: ",
                                            absl::StrJoin(seen, ", ")));
  }
  if (std::find(mine.begin(), mine.end(), preferred) != mine.end() ||
      (loopback && IsLoopbackAddress(preferred))) {
    return preferred;
  }
  return mine.front();
}

absl::StatusOr<std::string> ResolveHost(const std::string& host, const HostTable& table,
                                        absl::Time deadline, const std::atomic<bool>* stop) {
  if (auto it = table.find(host); it != table.end()) return it->second;
  std::string last_error;
  do {
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &found);
    if (rc == 0 && found != nullptr) {
      const std::string address =
          Text(reinterpret_cast<const sockaddr_in*>(found->ai_addr)->sin_addr);
      freeaddrinfo(found);
      return address;
    }
    last_error = gai_strerror(rc);
    if (!Pause(deadline, stop)) return Stopped(absl::StrCat("resolving ", host));
  } while (absl::Now() < deadline);
  return absl::UnavailableError(absl::StrCat("cannot resolve host ", host,
                                             " (tried until the join timeout): ", last_error));
}

bool Answers(const std::string& address, int port, absl::Duration timeout) {
  sockaddr_in target{};
  target.sin_family = AF_INET;
  target.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, address.c_str(), &target.sin_addr) != 1) return false;
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return false;
  bool ok = connect(fd, reinterpret_cast<const sockaddr*>(&target), sizeof(target)) == 0;
  if (!ok && errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    int error = 0;
    socklen_t length = sizeof(error);
    ok = poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout))) == 1 &&
         getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error == 0;
  }
  close(fd);
  return ok;
}

absl::Status WaitForListener(const std::string& address, int port, const std::string& who,
                             absl::Time deadline, const std::atomic<bool>* stop) {
  const absl::Time start = absl::Now();
  do {
    if (Answers(address, port, absl::Seconds(1))) return absl::OkStatus();
    if (!Pause(deadline, stop)) return Stopped(absl::StrCat("waiting for ", who));
  } while (absl::Now() < deadline);
  return absl::UnavailableError(absl::StrCat(
      who, " (", address, ":", port, ") did not answer within ",
      absl::FormatDuration(absl::Trunc(absl::Now() - start, absl::Seconds(1)))));
}

}  // namespace distsim::node
