// Gathers the step records and summaries of a distributed run into its RunResult.
// Not thread-safe: the launcher's main thread feeds it.
#ifndef DISTSIM_SIM_NODE_RUN_AGGREGATE_H_
#define DISTSIM_SIM_NODE_RUN_AGGREGATE_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "distsim/cluster.pb.h"
#include "distsim/result.pb.h"

namespace distsim::node {

// The result's view of an evaluation record.
EvalPoint ToEvalPoint(const EvalRecord& record);

class RunAggregate {
 public:
  RunAggregate(int workers, int batch, int warmup_steps);

  void AddStep(uint32_t worker, const StepRecord& record);
  void AddEval(const EvalRecord& record);
  // A restart from the checkpoint of `step`: the records and evaluations after it are work the
  // run does again, so they leave the records the modelled clock and the accuracy curve use
  // (the measured time sums keep them: that time was spent). The records kept must be every
  // worker's steps first + 1 .. step; when a killed process took some of its records with it,
  // all step records go (the clocks then start after `step`) and this returns false.
  bool RollBack(uint64_t step, uint64_t first);

  uint64_t steps(uint32_t worker) const { return workers_[worker].steps; }
  uint64_t min_steps() const;
  uint64_t total_steps() const;  // all workers together
  uint64_t samples() const { return total_steps() * batch_; }
  // Every step record received, per worker, in step order (for the modelled clock).
  std::vector<std::vector<StepRecord>>& records() { return records_; }

  // Fills everything it knows into `result`: steps, samples, step-time percentiles (after each
  // worker's warm-up), time split, per-worker and per-server stats, staleness, evaluations and
  // the final accuracy. For allreduce (`replicas_must_agree`), workers whose final parameter
  // hashes differ make it return an Internal error naming them.
  absl::Status Fill(const std::vector<ProcessSummary>& worker_summaries,
                    const std::vector<ProcessSummary>& server_summaries,
                    const std::vector<int64_t>& server_params, bool replicas_must_agree,
                    RunResult* result) const;

 private:
  // Worker i's WorkerStats (with its summary, if it sent one), and its share of the totals.
  void FillWorker(size_t i, const ProcessSummary* summary, RunResult* result) const;
  // The chief's evaluations, final accuracy and training loss, and the parameter hash.
  void FillChief(const std::vector<ProcessSummary>& worker_summaries, RunResult* result) const;

  struct PerWorker {
    uint64_t steps = 0;
    uint64_t max_staleness = 0;
    double step = 0, data = 0, compute = 0, compute_cpu = 0, pull = 0, push = 0, wait = 0,
           reduce = 0, update = 0;
    uint64_t bytes_sent = 0, bytes_received = 0;
    uint64_t nic_bytes_sent = 0, nic_bytes_received = 0;
    std::vector<double> step_seconds;
  };
  const int batch_;
  const int warmup_;
  std::vector<PerWorker> workers_;
  std::vector<std::vector<StepRecord>> records_;  // per worker, in step order
  std::vector<EvalRecord> evals_;
  // The chief's (worker 0's) training loss and batch accuracy: summed since its last evaluation,
  // and over the interval that ended at that evaluation.
  double interval_loss_ = 0, interval_accuracy_ = 0;
  uint64_t interval_steps_ = 0;
  double closed_loss_ = 0, closed_accuracy_ = 0;
  uint64_t closed_at_step_ = 0;
};

}  // namespace distsim::node

#endif  // DISTSIM_SIM_NODE_RUN_AGGREGATE_H_
