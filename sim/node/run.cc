#include "sim/node/run.h"

#include <filesystem>

#include "absl/strings/str_cat.h"

#include "sim/node/distributed_run.h"
#include "sim/node/local_trainer.h"
#include "sim/node/run_plan.h"

namespace distsim::node {

absl::StatusOr<RunResult> Run(const RunConfig& config, const RunOptions& options) {
  if (IsDistributed(config)) {
    DistributedRunOptions distributed;
    static_cast<RunOptions&>(distributed) = options;
    return RunDistributed(config, distributed);
  }
  LocalRunOptions local;
  static_cast<RunOptions&>(local) = options;
  return RunLocal(config, local);
}

absl::StatusOr<RunResult> RunInto(RunConfig config, const std::string& parent_dir,
                                  const std::string& data_dir, RunOptions common) {
  config.set_output_dir(parent_dir);
  common.data_dir = data_dir;
  common.out_dir = (std::filesystem::path(parent_dir) / config.name()).string();
  absl::StatusOr<RunResult> run = Run(config, common);
  if (!run.ok()) {
    return absl::Status(run.status().code(),
                        absl::StrCat("run ", config.name(), ": ", run.status().message()));
  }
  return run;
}

}  // namespace distsim::node
