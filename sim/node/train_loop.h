// The training loop every worker runs, local or distributed:
//   batch -> forward/backward -> exchange (pull/push, allreduce, or a local update) -> record.
// The strategy enters only through GradientExchange; what happens to the records (steps.csv and
// progress for a local run, heartbeats to the coordinator for a worker process) is the
// observer's business.
#ifndef DISTSIM_SIM_NODE_TRAIN_LOOP_H_
#define DISTSIM_SIM_NODE_TRAIN_LOOP_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "distsim/cluster.pb.h"
#include "distsim/config.pb.h"
#include "kernels/model.h"
#include "sim/data/dataset.h"
#include "sim/strategy/exchange.h"

namespace distsim::node {

struct LoopConfig {
  int batch = 0;                  // examples per step, this worker
  uint64_t max_steps = 0;         // this worker's steps; 0: until global_steps is reached
  uint64_t global_steps = 0;      // stop when the exchange reports this global step (PS); 0: none
  uint64_t eval_every = 0;        // evaluate every N steps (and at the end) if `test` is given
  uint64_t seed = 0;              // the run's seed (dropout masks)
  int64_t examples_per_epoch = 0; // this worker's examples per epoch, for the epoch column
  uint64_t samples_per_step = 0;  // examples all workers process per step (EvalRecord.samples)
  const std::atomic<bool>* stop = nullptr;  // polled every step; true -> Cancelled
  // Injected faults (cluster.faults): the compute of every step is padded by sleeping
  // (slowdown - 1) times its wall time, so the wall clock shows a slower machine; before step
  // pause_at_step the loop sleeps pause_s; before step kill_at_step the process SIGKILLs itself
  // (set only in worker processes).
  double slowdown = 1;
  uint64_t pause_at_step = 0;
  double pause_s = 0;
  uint64_t kill_at_step = 0;
  uint64_t corrupt_at_step = 0;  // this step's gradient gets a NaN before the exchange
  // A resumed run: the steps done before (its checkpoint's); the loop starts at first_step + 1.
  uint64_t first_step = 0;
  // Coordinated checkpoints (role_checkpoint.h): after the steps that are multiples of
  // checkpoint_every, `checkpoint` gets the step; before the exchange, or after it when
  // checkpoint_after_exchange (a replica saves the parameters the exchange updated).
  uint64_t checkpoint_every = 0;
  bool checkpoint_after_exchange = false;
  std::function<absl::Status(uint64_t step)> checkpoint;
};

class LoopObserver {
 public:
  virtual ~LoopObserver() = default;
  virtual void OnStep(const StepRecord& record) {}
  virtual void OnEval(const EvalRecord& record) {}
  // Checked after every record: an error (a results file that cannot be written) ends the loop.
  virtual absl::Status status() const { return absl::OkStatus(); }
};

struct LoopResult {
  uint64_t steps = 0;
  std::vector<double> step_seconds;
  double train_s = 0;   // inside steps
  double eval_s = 0;    // evaluating
  double wall_s = 0;    // whole loop
  // Means over the steps since the previous evaluation (the last interval).
  double final_train_loss = 0;
  double final_train_accuracy = 0;
  std::vector<EvalRecord> evals;
};

struct EvalResult {
  double accuracy = 0;
  double loss = 0;
};

// Accuracy and mean loss of `params` over the whole of `test`, in batches of 500.
EvalResult Evaluate(kernels::Model<float>& model, std::span<const float> params,
                    const data::Dataset& test);

// Runs the loop. `next_batch` fills the indices of the next batch (batch entries). `params` is
// this worker's copy of the parameters (initialised); `test` may be null (no evaluation). Times
// in records count from `clock_start_s` seconds before the call (the run's clock started then).
absl::StatusOr<LoopResult> RunTrainLoop(kernels::Model<float>& model, std::vector<float>& params,
                                        const data::Dataset& train, const data::Dataset* test,
                                        const std::function<void(std::span<int64_t>)>& next_batch,
                                        strategy::GradientExchange& exchange,
                                        const LoopConfig& config, LoopObserver& observer,
                                        double clock_start_s = 0);

// Optimizer steps a worker takes for the config's length given its steps per epoch: `steps` as
// is, `epochs` rounded up to whole steps (at least 1). `global_steps` is the caller's business.
uint64_t StepsForLength(const TrainConfig& train, double steps_per_epoch);

// Seeds of the run's random streams, derived from the one config seed so that changing the data
// order does not change the initialisation and vice versa.
uint64_t DataSeed(uint64_t seed);
uint64_t DropoutSeed(uint64_t seed, uint64_t step);

}  // namespace distsim::node

#endif  // DISTSIM_SIM_NODE_TRAIN_LOOP_H_
