// The instance profiles a cluster config can name (configs/instances.textproto, compiled into the
// binary so that a run never depends on where it was started), and the per-worker faults of a
// config.
#ifndef DISTSIM_SIM_CONFIG_INSTANCES_H_
#define DISTSIM_SIM_CONFIG_INSTANCES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "distsim/config.pb.h"

namespace distsim::config {

// The built-in table, parsed once. Internal error if the compiled-in text does not parse (a
// build defect, caught by the tests).
absl::StatusOr<InstanceTable> BuiltinInstances();

// The profile named `name` in the built-in table; NotFound listing the known names otherwise.
absl::StatusOr<InstanceProfile> FindInstance(const std::string& name);

// The faults of each worker (index = worker rank; an entry with nothing set for a healthy one).
// Several faults on one worker merge (the larger slowdown, the first pause and kill). A fault
// without `worker` hits one worker other than the chief picked from the run's seed (worker 0 if
// there is only one). Expects a validated config.
std::vector<FaultConfig> FaultsByWorker(const RunConfig& config);

// "worker 2: 4x slower; pauses 3 s before step 10; killed before step 20", one line per
// affected worker.
std::vector<std::string> DescribeFaults(const std::vector<FaultConfig>& by_worker);

}  // namespace distsim::config

#endif  // DISTSIM_SIM_CONFIG_INSTANCES_H_
