// The modelled clock of a finished run (docs/architecture.md, "The two clocks"): what the
// configured cluster would have taken, from the run's own step records. This file decides what each
// recorded step would cost on the simulated instance (compute) and which network and topology the
// model sees; sim/model does the arithmetic.
#ifndef DISTSIM_SIM_NODE_MODELLED_H_
#define DISTSIM_SIM_NODE_MODELLED_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "distsim/cluster.pb.h"
#include "distsim/config.pb.h"
#include "distsim/result.pb.h"
#include "sim/comm/nic.h"
#include "sim/model/cost_model.h"
#include "sim/model/job_time.h"
#include "sim/model/timeline.h"
#include "sim/node/run_plan.h"

namespace distsim::node {

// The network of `config` as the cost model sees it: alpha = latency + mean jitter; beta =
// (1 + loss) / bandwidth (the resent bytes); each message delayed by a round trip per expected
// lost packet.
model::Network NetworkOf(const RunConfig& config);

struct ModelFacts {
  int64_t parameters = 0;
  std::vector<int64_t> server_params;  // floats per server shard (PS)
  double train_flops_per_example = 0;
  double host_gemm_gflops = 0;         // this machine, one thread (kernels::MeasureGemmGflops)
  std::vector<bool> worker_lost;       // workers that died during the run (CONTINUE)
};

// The facts of `plan`'s model, with this machine's GEMM speed (0 when the clock needs none).
ModelFacts ModelFactsOf(const RunPlan& plan, double host_gemm_gflops);

// The simulated NIC of a shaped network (sim/comm/nic.h), from the config's network.
comm::NicModel NicModelOf(const NetworkConfig& net);

// Whether the modelled clock needs this machine's GEMM speed: CPU_TIME scaled to an instance.
bool NeedsHostSpeed(const RunConfig& config);

// The modelled compute of one recorded step of `worker` (seconds on the simulated instance):
// CPU_TIME: measured thread CPU x host speed / instance speed (x 1 without an instance); FLOPS:
// the batch's training FLOPs / instance speed; both x the worker's slowdown. Pauses are apart
// (StepRecord.model_pause_s).
double ModelComputeSeconds(const RunConfig& config, const ModelFacts& facts, double slowdown,
                           const StepRecord& record);

// The timeline spec of `config`'s strategy and cluster shape.
model::TimelineSpec TimelineSpecOf(const RunConfig& config, const ClusterShape& shape,
                                   const ModelFacts& facts);

// Fills StepRecord.model_compute_s of every record (CPU_TIME: measured thread CPU x host speed /
// instance speed; FLOPS: the batch's training FLOPs / instance speed; both x the worker's
// slowdown), builds the timeline and returns the run's ModelledClock. `timeline` (may be null)
// receives the timeline itself (per-worker end times). The job around the training (download,
// upload, the bill) is modelled only when plan.host_downloads is known (not empty).
absl::StatusOr<ModelledClock> ModelRun(const RunPlan& plan, const ModelFacts& facts,
                                       std::vector<std::vector<StepRecord>>* records,
                                       model::Timeline* timeline = nullptr);

// Sets each evaluation's EvalPoint.modelled_seconds: the job's download (clock.download_seconds),
// then the end of worker 0's step it follows on `timeline` (the evaluation itself is not
// modelled). An evaluation after the last step worker 0 has on the timeline takes its end. A
// resumed run's timeline starts after step `first_step` (its checkpoint's).
void SetModelledEvalTimes(const model::Timeline& timeline, const ModelledClock& clock,
                          uint64_t first_step, RunResult* result);

// SageMaker's File mode on `config`'s cluster: one host's download rate (the profile's, or its
// NIC's when smaller) and the cost per object (configs/instances.textproto); the profile itself
// in *profile when not null.
absl::StatusOr<model::FileModeLink> FileModeLinkOf(const RunConfig& config,
                                                   FileModeProfile* profile = nullptr);

// The steps of worker `w` on the modelled clock, as records the trace draws (trace.json's
// modelled cluster has a thread per worker): end_s and step_s from the timeline, the compute, and
// in lockstep runs the pull and push phases (PS) or the allreduce (ring) and the wait for the
// slowest. Replays (ASYNC, SSP) keep no finer split: the push is what this worker's push alone
// costs on the cluster (cut to what the compute leaves of the step), the rest is the pull. Loss,
// accuracy, bytes and staleness are the recorded step's. `records` must hold model_compute_s
// (ModelRun fills it).
std::vector<StepRecord> ModelledTrackSteps(const model::TimelineSpec& spec,
                                           const std::vector<std::vector<StepRecord>>& records,
                                           const model::Timeline& timeline, size_t w);

}  // namespace distsim::node

#endif  // DISTSIM_SIM_NODE_MODELLED_H_
