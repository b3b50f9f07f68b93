// Small statistics used by the report: percentiles of step times, the time to a target accuracy.
#ifndef DISTSIM_SIM_REPORT_STATS_H_
#define DISTSIM_SIM_REPORT_STATS_H_

#include <optional>
#include <vector>

#include "distsim/result.pb.h"

namespace distsim::report {

// The q-quantile (q in [0,1]) of `values` by linear interpolation between closest ranks (the
// "type 7" estimator of R and NumPy's default). Empty input gives 0. Sorts a copy.
double Quantile(std::vector<double> values, double q);

// Mean and p50/p90/p99 of step times (seconds in, milliseconds out), leaving out the first
// `warmup` entries. If fewer than warmup+1 steps exist, all steps are used and warmup_steps is 0.
StepTimes SummarizeStepTimes(const std::vector<double>& step_seconds, int warmup);

// Seconds from the start to the first evaluation of `run` at or above `target`; nullopt if none
// was.
std::optional<double> TimeToTarget(const RunResult& run, double target);

}  // namespace distsim::report

#endif  // DISTSIM_SIM_REPORT_STATS_H_
