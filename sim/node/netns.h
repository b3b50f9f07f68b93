// Hosts as Linux network namespaces, for `distsim local`: each host of a job gets a namespace
// of its own with one interface, eth0, holding its address; the interfaces are veth pairs whose
// other ends hang on one bridge; names resolve through /etc/netns/<namespace>/hosts, which
// `ip netns exec` mounts over /etc/hosts for what runs inside. Everything is made and removed
// with the kernel's own tools (iproute2's `ip` and `tc`), run without a shell.
//
// Names, all carrying the job's tag (4 hex digits) so that jobs and leftovers are told apart:
//   namespace   dsl-<tag>-<i>        (i = 1, 2, ...: host algo-<i>)
//   bridge      dsl<tag>br
//   veth        dsl<tag>h<i> (on the bridge) and, inside the namespace, eth0
//   addresses   10.213.<b>.<i>/24, b taken from the tag; the bridge has none, so the machine's own
//               routes never meet them
//   state       /run/distsim/local/<tag>: the pid of the launcher and the host count
//
// A launcher killed with SIGKILL cannot clean up: the next CreateHostNetwork (or
// SweepStaleNetworks) removes every dsl resource whose state names a dead launcher, or that
// has no state at all, after killing what still runs inside its namespaces.
//
// Kernel shaping (optional): each host's traffic out of eth0 goes through netem (latency,
// jitter, loss) and then a token bucket (tbf) at the NIC's rate; its traffic in, through a
// token bucket on the bridge side of its veth. A kernel built without netem gets the buckets
// alone, and HostNetwork::shaping() says so. That is what distsim's own shaper does per host
// (egress and ingress buckets, latency once per message), done by the kernel to real TCP.
#ifndef DISTSIM_SIM_NODE_NETNS_H_
#define DISTSIM_SIM_NODE_NETNS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace distsim::node {

struct KernelShaping {
  bool enabled = false;
  double bandwidth_bps = 0;  // each direction of each host's NIC, bit/s
  double latency_us = 0;     // one way, added to every packet a host sends
  double jitter_us = 0;
  double loss = 0;  // probability a packet is dropped
};

struct NetnsHost {
  std::string name;     // algo-<i>
  std::string netns;    // dsl-<tag>-<i>
  std::string address;  // 10.213.<b>.<i>
};

// The namespaces of one job, removed by Remove() or the destructor.
class HostNetwork {
 public:
  HostNetwork() = default;
  HostNetwork(const HostNetwork&) = delete;
  HostNetwork& operator=(const HostNetwork&) = delete;
  HostNetwork(HostNetwork&& other) noexcept;
  HostNetwork& operator=(HostNetwork&&) = delete;
  ~HostNetwork();

  const std::string& tag() const { return tag_; }
  const std::vector<NetnsHost>& hosts() const { return hosts_; }
  // What the kernel shapes, in words ("" when unshaped).
  const std::string& shaping() const { return shaping_; }

  // The argv that runs `argv` inside host h's namespace (`ip netns exec ...`).
  std::vector<std::string> Exec(int h, const std::vector<std::string>& argv) const;

  // Removes the namespaces (killing what runs inside), links, hosts files and state. Errors
  // are reported in the Status but every step is tried.
  absl::Status Remove();

 private:
  friend absl::StatusOr<HostNetwork> CreateHostNetwork(int hosts, const KernelShaping& shaping);
  std::string tag_;
  std::vector<NetnsHost> hosts_;
  std::string shaping_;
  bool live_ = false;
};

// Why this process cannot make namespaces ("" when it can): not root, or no `ip` found.
std::string NetnsUnavailableReason();

// Makes the namespaces, bridge, veth pairs, addresses and hosts files of `hosts` hosts (1 to
// 250), shaped by `shaping`, after sweeping stale networks. Whatever was made is removed again
// when a step fails; the error names the command and what it printed.
absl::StatusOr<HostNetwork> CreateHostNetwork(int hosts, const KernelShaping& shaping);

// Removes the dsl resources of launchers that are gone (see above). Returns how many jobs'
// leftovers it removed.
int SweepStaleNetworks();

// SIGKILLs every process whose network namespace is `netns` (compared by inode); how many.
int KillNamespaceProcesses(const std::string& netns);

// The dsl namespaces, links, hosts folders and state files of `tag` (every tag when empty) that
// exist now: none once a job's network is removed.
std::vector<std::string> LeftoverNetworkResources(const std::string& tag = "");

}  // namespace distsim::node

#endif  // DISTSIM_SIM_NODE_NETNS_H_
