// The machinery of ValidateRunConfig (validate.cc), shared by the files that check one part of a
// RunConfig each: a list of problems, one line each with its field path, and the intervals the
// ranges are printed as. Not for use outside sim/config.
#ifndef DISTSIM_SIM_CONFIG_PROBLEMS_H_
#define DISTSIM_SIM_CONFIG_PROBLEMS_H_

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "distsim/config.pb.h"

namespace distsim::config::internal {

// A real interval with open or closed ends, printed the mathematical way: "(0, 10]".
struct Interval {
  double low;
  bool low_open;
  double high;
  bool high_open;

  bool Contains(double v) const {
    // Written so that NaN is outside every interval.
    bool above = low_open ? v > low : v >= low;
    bool below = high_open ? v < high : v <= high;
    return above && below;
  }
  std::string ToString() const {
    return absl::StrCat(low_open ? "(" : "[", low, ", ", high, high_open ? ")" : "]");
  }
};

// The list of problems found so far, one line each.
class Problems {
 public:
  void Add(const std::string& field, const std::string& problem) {
    lines_.push_back(absl::StrCat(field, ": ", problem));
  }

  void CheckInteger(const std::string& field, uint64_t value, uint64_t low, uint64_t high) {
    if (value >= low && value <= high) return;
    Add(field, absl::StrCat(value, " is out of range; must be in [", low, ", ", high, "]"));
  }

  void CheckReal(const std::string& field, double value, const Interval& range) {
    if (range.Contains(value)) return;
    Add(field,
        absl::StrCat(value, " is out of range; must be ",
                     std::isfinite(value) ? "" : "a finite number ", "in ", range.ToString()));
  }

  absl::Status ToStatus() const {
    if (lines_.empty()) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrJoin(lines_, "\n"));
  }

 private:
  std::vector<std::string> lines_;
};

// The distributed side (validate_strategy.cc): workers against the strategy and the data
// distribution, the strategy's own fields, supervision.
void CheckWorkers(const RunConfig& config, Problems* problems);
void CheckStrategy(const RunConfig& config, Problems* problems);
void CheckSupervision(const RunConfig& config, Problems* problems);

// The simulated cluster (validate_cluster.cc): instance, network, clock and faults.
void CheckCluster(const RunConfig& config, Problems* problems);

}  // namespace distsim::config::internal

#endif  // DISTSIM_SIM_CONFIG_PROBLEMS_H_
