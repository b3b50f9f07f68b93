// One run of any strategy: `local` in this process, the distributed ones as spawned processes.
#ifndef DISTSIM_SIM_NODE_RUN_H_
#define DISTSIM_SIM_NODE_RUN_H_

#include <string>

#include "absl/status/statusor.h"
#include "distsim/config.pb.h"
#include "distsim/result.pb.h"
#include "sim/node/run_options.h"

namespace distsim::node {

// Trains `config` (defaults filled, validated) with its strategy and writes its results.
absl::StatusOr<RunResult> Run(const RunConfig& config, const RunOptions& options);

// One run of a command that makes several (compare, predict): `config` with output_dir set to
// `parent_dir`, its results in <parent_dir>/<config.name()>/, data from `data_dir`, the rest of
// `common` as given. An error is prefixed with "run <name>: ".
absl::StatusOr<RunResult> RunInto(RunConfig config, const std::string& parent_dir,
                                  const std::string& data_dir, RunOptions common);

}  // namespace distsim::node

#endif  // DISTSIM_SIM_NODE_RUN_H_
