// The link probe of `distsim predict`'s calibration: messages of several sizes sent between two
// simulated hosts over sim/comm's TCP link, shaped as a run's network is, and timed.
#ifndef DISTSIM_SIM_NODE_LINK_PROBE_H_
#define DISTSIM_SIM_NODE_LINK_PROBE_H_

#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "distsim/config.pb.h"

namespace distsim::node {

// What a repeated probe measured.
struct LinkProbe {
  std::vector<std::pair<double, double>> samples;  // every (bytes, seconds), in sending order
  std::vector<std::pair<double, double>> medians;  // (bytes, median seconds) per size, ascending
  // The largest interquartile range over the median, (p75 - p25) / median, of one size's times:
  // how steady the link was where the median looks. A busy core delays the threads that send and
  // receive, and the small messages show it first; a delay or two among the sends moves neither
  // the median nor this, as it would p90 - p10 (a single late 4 KiB send out of 7 measured 312%).
  double spread = 0;
  int repeats = 0;
};

// The medians and spread of `samples` (bytes, seconds), grouped by bytes (report::Quantile's
// interpolation). Sizes whose median is 0 count no spread.
LinkProbe SummarizeProbe(std::vector<std::pair<double, double>> samples, int repeats);

// One-way message times over `config`'s network between two simulated hosts (shaped as the
// config says, else plain loopback TCP): messages of 4 KiB to 1 MiB, the set sent `repeats`
// times, summarized. Opens two loopback TCP links of its own and closes them before it returns.
absl::StatusOr<LinkProbe> ProbeLink(const RunConfig& config, int repeats);

}  // namespace distsim::node

#endif  // DISTSIM_SIM_NODE_LINK_PROBE_H_
