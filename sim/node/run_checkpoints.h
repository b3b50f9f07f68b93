// The launcher's side of a run's checkpoints (checkpoint.h): the folder, a fresh run's clean
// slate, where a resumed run starts, and where a restarted one does (supervision.max_restarts).
#ifndef DISTSIM_SIM_NODE_RUN_CHECKPOINTS_H_
#define DISTSIM_SIM_NODE_RUN_CHECKPOINTS_H_

#include <cstdint>
#include <cstdio>
#include <string>

#include "absl/status/statusor.h"
#include "distsim/result.pb.h"
#include "sim/node/coordinator.h"
#include "sim/node/run_aggregate.h"
#include "sim/node/run_plan.h"

namespace distsim::node {

struct RunCheckpoints {
  std::string dir;           // out_dir/checkpoints; empty when the run neither writes nor reads
  uint64_t resume_step = 0;  // the set every process starts from (0: the start)
  CheckpointSummary summary; // dir, resumed_from_step and the sets passed over
};

// A fresh run removes an earlier run's checkpoints (its files are never mixed with another
// run's); with `resume` it finds the newest good set, naming on `notes` each newer set it
// passes over and why, and the set it resumes from (a quiet run still says both). Errors: NotFound (exit 66) when there is no checkpoint at all; DataLoss
// (65) when every set is corrupt or incomplete; InvalidArgument (78) when they are another
// config's.
absl::StatusOr<RunCheckpoints> PrepareRunCheckpoints(const RunPlan& plan,
                                                     const std::string& out_dir, bool resume,
                                                     std::FILE* notes);

// The newest complete set under `dir` now, 0 when none (for a run's result as it ends).
uint64_t LastGoodCheckpoint(const RunPlan& plan, const std::string& dir);

// Whether a failure is one starting again can get past (a process lost or stalled; not a bad
// config or bad data, which would fail again, nor the user's stop), with restarts left of
// supervision.max_restarts.
bool Restartable(const absl::Status& failure, const RunPlan& plan, uint32_t restarts_so_far);

// Restart `restart` (1-based) after `failure`: every process starts again from the newest good
// checkpoint (step 0 without one), as torchrun does. Records it in checkpoints->summary, rolls
// the aggregate back to that step, says so on `notes`, and returns the step.
uint64_t PrepareRestart(const RunPlan& plan, const Coordinator& coordinator,
                        const absl::Status& failure, uint32_t restart,
                        RunCheckpoints* checkpoints, RunAggregate* aggregate, std::FILE* notes);

// A worker that rejoined alone (Restart.rejoined) lost with its dead process the records of its
// last steps (a SIGKILL leaves no time to send them), and the modelled clock needs every step of
// every worker. When records are missing, the records up to the furthest step a worker rejoined
// from since the last whole restart leave the aggregate, and `summary`'s modelled_from_step
// moves there: the clocks cover the steps after it, as after a restart that lost records.
void ModelAfterRejoins(RunAggregate* aggregate, CheckpointSummary* summary);

}  // namespace distsim::node

#endif  // DISTSIM_SIM_NODE_RUN_CHECKPOINTS_H_
