#include "sim/node/run.h"

#include "sim/node/distributed_run.h"
#include "sim/node/local_trainer.h"
#include "sim/node/plan.h"

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

}  // namespace distsim::node
