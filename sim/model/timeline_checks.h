// The checks BuildTimeline makes of its input before building anything (timeline.h): host and
// worker counts, finite non-negative bytes, computes and starts, steps in order.
#ifndef DISTSIM_SIM_MODEL_TIMELINE_CHECKS_H_
#define DISTSIM_SIM_MODEL_TIMELINE_CHECKS_H_

#include <vector>

#include "absl/status/status.h"
#include "sim/model/timeline.h"

namespace distsim::model {

// InvalidArgument naming the field, worker and step of the first inconsistency.
absl::Status ValidateTimelineInput(const TimelineSpec& spec,
                                   const std::vector<std::vector<StepRecord>>& steps);

}  // namespace distsim::model

#endif  // DISTSIM_SIM_MODEL_TIMELINE_CHECKS_H_
