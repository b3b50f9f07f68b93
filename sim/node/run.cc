#include "sim/node/run.h"

#include <filesystem>

#include "absl/strings/str_cat.h"

#include "sim/node/distributed_run.h"
#include "sim/node/local_trainer.h"
#include "sim/node/run_plan.h"

namespace distsim::node {

absl::StatusOr<RunResult> Run(const RunConfig& config, const RunOptions& options) {
  if (IsDistributed(config)) {
    DistributedRunOptions o;
    o.data_dir = options.data_dir;
    o.out_dir = options.out_dir;
    o.executable = options.executable;
    o.progress = options.progress;
    o.progress_every_steps = options.progress_every_steps;
    o.command_line = options.command_line;
    o.stop = options.stop;
    return RunDistributed(config, o);
  }
  LocalRunOptions o;
  o.data_dir = options.data_dir;
  o.out_dir = options.out_dir;
  o.progress = options.progress;
  o.progress_every_steps = options.progress_every_steps;
  o.command_line = options.command_line;
  o.stop = options.stop;
  return RunLocal(config, o);
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
