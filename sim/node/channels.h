// The run's data channels, laid out before training as SageMaker's File mode would (sim/data's
// object_store.h and channel.h): the training set as K object files in the data cache, and for
// each simulated host that runs a worker, its own channel folders under the run's results folder,
// holding links to its objects (all K, or its keys under SHARDED_BY_KEY) and to the test set.
#ifndef DISTSIM_SIM_NODE_CHANNELS_H_
#define DISTSIM_SIM_NODE_CHANNELS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "distsim/result.pb.h"
#include "sim/data/dataset.h"
#include "sim/node/run_plan.h"

namespace distsim::node {

struct RunChannels {
  // By simulated host: its folder of channels (data::HostDataDir); "" for a host without a
  // worker (a dedicated server's).
  std::vector<std::string> host_data_dirs;
  DataSummary summary;  // for RunResult.data
};

// The object store for `plan` under `objects_root` (written once, then shared by every run that
// cuts the same data the same way), and every worker host's channels under
// `run_dir`/hosts/algo-<h+1>/input/data. `train` is the whole training set (dense ids) and `test`
// the test set, as OpenRun opened them.
absl::StatusOr<RunChannels> PrepareChannels(const RunPlan& plan, const data::Dataset& train,
                                            const data::Dataset& test,
                                            const std::string& objects_root,
                                            const std::string& run_dir);

// The folder of the object cache when none is given: <run_dir>/objects (kept with the run).
std::string DefaultObjectsRoot(const std::string& run_dir);

}  // namespace distsim::node

#endif  // DISTSIM_SIM_NODE_CHANNELS_H_
