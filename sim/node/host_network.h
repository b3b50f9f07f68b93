// The network of a job whose hosts start on their own (`distsim train`, one container per host):
// this host's address on a named interface, the other hosts' addresses by name, and waiting for
// a host to answer. Hosts come up in any order and names may not resolve yet (SageMaker's
// contract says to retry), so resolving and connecting are retried until a deadline, past which
// the error names the host (Unavailable, exit 69).
#ifndef DISTSIM_SIM_NODE_HOST_NETWORK_H_
#define DISTSIM_SIM_NODE_HOST_NETWORK_H_

#include <atomic>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace distsim::node {

// Host name -> IPv4 address, as a hosts file lists them (config::ParseHostsFile). Empty: the
// system's resolver alone.
using HostTable = std::map<std::string, std::string>;

// The IPv4 address this host serves on, on interface `interface` (getifaddrs): `preferred`
// (the address this host's name resolves to) when it is one of the interface's addresses, or
// when the interface is the loopback one (its address is in 127.0.0.0/8) and so is `preferred`
// (all of 127.0.0.0/8 is the loopback interface's, so loopback aliases can stand for hosts on
// one machine); else the
// interface's first IPv4 address. NotFound naming the interface, and those present, when it does
// not exist or has no IPv4 address.
absl::StatusOr<std::string> InterfaceAddress(const std::string& interface,
                                             const std::string& preferred);

// The IPv4 address of `host`: `table`'s entry when it has one, else the system resolver's
// (getaddrinfo: /etc/hosts, which in a network namespace is /etc/netns/<ns>/hosts, then DNS),
// retried every half second until `deadline`. Unavailable "cannot resolve <host> ..." past it;
// Cancelled as soon as *stop (may be null) becomes true.
absl::StatusOr<std::string> ResolveHost(const std::string& host, const HostTable& table,
                                        absl::Time deadline, const std::atomic<bool>* stop);

// Waits until a TCP connection to address:port is accepted (then closes it), retrying every
// half second until `deadline`. Unavailable naming `who` and the address past it; Cancelled as
// soon as *stop becomes true.
absl::Status WaitForListener(const std::string& address, int port, const std::string& who,
                             absl::Time deadline, const std::atomic<bool>* stop);

// One TCP connection attempt to address:port, bounded by `timeout`: whether it was accepted.
bool Answers(const std::string& address, int port, absl::Duration timeout);

}  // namespace distsim::node

#endif  // DISTSIM_SIM_NODE_HOST_NETWORK_H_
