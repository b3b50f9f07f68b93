// The link probe of `distsim predict`'s calibration: messages of several sizes sent between two
// simulated hosts over sim/comm's TCP link, shaped as a run's network is, and timed.
#ifndef DISTSIM_SIM_NODE_LINK_PROBE_H_
#define DISTSIM_SIM_NODE_LINK_PROBE_H_

#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "distsim/config.pb.h"

namespace distsim::node {

// One-way message times over `config`'s network between two simulated hosts (shaped as the
// config says, else plain loopback TCP): (bytes, seconds) pairs, several sizes, repeated. Opens
// two loopback TCP links of its own and closes them before it returns.
absl::StatusOr<std::vector<std::pair<double, double>>> ProbeLink(const RunConfig& config);

}  // namespace distsim::node

#endif  // DISTSIM_SIM_NODE_LINK_PROBE_H_
