// The end of a distributed run in the launcher: the RunResult from the coordinator's summaries
// and the recorded steps, with its modelled clock, written to result.json and trace.json; and the
// coordinator's evaluation in a dead chief's place.
#ifndef DISTSIM_SIM_NODE_RUN_RESULT_H_
#define DISTSIM_SIM_NODE_RUN_RESULT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "distsim/cluster.pb.h"
#include "distsim/result.pb.h"
#include "sim/base/clock.h"
#include "sim/node/coordinator.h"
#include "sim/node/distributed_run.h"
#include "sim/node/modelled.h"
#include "sim/node/run_plan.h"
#include "sim/node/run_recorder.h"

namespace distsim::node {

// The chief died (on_worker_failure CONTINUE): the coordinator evaluates in its place, with the
// launcher's model and test set, on the newest parameters, pulled from the servers in the dead
// chief's name (a dropped worker reads the newest at once, sim/strategy/ps_shard.h), over TLS
// when `tls` is enabled (the coordinator's own certificate).
absl::StatusOr<EvalRecord> EvaluateForDeadChief(RunInputs& in, Coordinator& coordinator,
                                                const std::string& token, const comm::TlsFiles& tls,
                                                uint64_t step, uint64_t samples, double now_s);

// Builds the result of a run that ended normally, writes result.json and trace.json into
// options.out_dir, and returns it. `lost`: the workers the run went on without.
absl::StatusOr<RunResult> FinishDistributedRun(const RunPlan& plan, ModelFacts facts,
                                               const Coordinator& coordinator,
                                               const std::vector<uint32_t>& lost,
                                               RunRecorder& recorder, const DataSummary& data,
                                               const DistributedRunOptions& options,
                                               const Stopwatch& clock,
                                               const CheckpointSummary& checkpoints);

// The result.json of a run that did not finish (a failure, Ctrl-C, SIGTERM): what it was, how far
// it got (`steps`, the furthest worker's), why it stopped and its last good checkpoint, marked
// checkpoints.interrupted so that nobody takes it for a finished run's. Written atomically over
// an earlier run's file.
absl::Status WritePartialResult(const RunPlan& plan, const DistributedRunOptions& options,
                                uint64_t steps, CheckpointSummary checkpoints,
                                const absl::Status& why);

}  // namespace distsim::node

#endif  // DISTSIM_SIM_NODE_RUN_RESULT_H_
