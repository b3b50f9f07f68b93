#include "sim/node/run_result.h"

#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "sim/base/status.h"
#include "sim/config/instances.h"
#include "sim/node/channel_report.h"
#include "sim/node/exchange_factory.h"
#include "sim/node/provenance.h"
#include "sim/node/role_common.h"
#include "sim/node/run_checkpoints.h"
#include "sim/node/run_trace.h"
#include "sim/node/train_loop.h"
#include "sim/report/result_io.h"

namespace distsim::node {
namespace {

namespace fs = std::filesystem;

// Pulls the newest parameters in worker 0's name. The servers drop the chief at their next
// heartbeat; until then the pull is refused (FailedPrecondition) and retried.
absl::Status PullNewest(const RunPlan& plan, const PeerTable& peers, const std::string& token,
                        const comm::TlsFiles& tls, std::vector<float>* params) {
  std::vector<std::string> addresses;
  for (const ProcessInfo& s : peers.servers()) addresses.push_back(s.address());
  TransportFlags flags;
  flags.rank = 0;
  flags.token = token;
  flags.tls = tls;
  DS_ASSIGN_OR_RETURN(std::unique_ptr<comm::PsClient> client,
                      MakePsClient(plan, flags, addresses));
  comm::PullResult pulled;
  absl::Status status;
  const absl::Time give_up = absl::Now() + plan.timeouts.rpc;
  do {
    status = client->Pull(0, *params, &pulled);
    if (status.ok() || !absl::IsFailedPrecondition(status)) break;
    absl::SleepFor(absl::Milliseconds(100));
  } while (absl::Now() < give_up);
  return status;
}

// The parts of the result the aggregate does not know: what ran, where its figures came from,
// and the faults.
void Describe(const RunPlan& plan, const DistributedRunOptions& options, RunResult* result) {
  const RunConfig& config = plan.config;
  *result->mutable_config() = config;
  *result->mutable_provenance() =
      CollectProvenance(plan.shape.servers + plan.shape.workers, options.command_line);
  result->set_strategy(DescribeStrategy(config));
  result->set_workers(plan.shape.workers);
  result->set_servers(plan.shape.servers);
  result->set_run_length(RunLengthText(config));
  result->set_parameter_count(plan.parameters);
  result->set_chance_accuracy(1.0 / plan.num_classes);
  for (const std::string& line : config::DescribeFaults(plan.faults)) result->add_faults(line);
}

void MarkLost(const std::vector<uint32_t>& lost, RunResult* result) {
  for (uint32_t w : lost) {
    result->add_workers_lost(w);
    result->mutable_worker_stats(static_cast<int>(w))->set_lost(true);
  }
  if (std::find(lost.begin(), lost.end(), 0u) != lost.end()) {
    // The chief's count stopped when it died: report the furthest worker's.
    uint64_t steps = 0;
    for (const WorkerStats& w : result->worker_stats()) steps = std::max(steps, w.steps());
    result->set_steps(steps);
  }
}

// RunResult.data and the plan the modelled clock uses. A coordinator that laid out the channels
// knows both; one that sees only its own host's channel (`distsim train`: the plan has no
// host downloads) takes them from the workers' reports, and lists in RunResult.left_out what
// nobody reported.
RunPlan KnownData(const RunPlan& plan, const Coordinator& coordinator, const DataSummary& data,
                  const DistributedRunOptions& options, RunResult* result) {
  if (!plan.host_downloads.empty()) {
    *result->mutable_data() = data;
    return plan;
  }
  std::vector<HostData> channels;
  for (const ProcessSummary& s : coordinator.summaries(ProcessInfo::WORKER)) {
    channels.push_back(s.channel());
  }
  ReportedData reported = DataFromReports(plan, channels, options.host_names);
  *result->mutable_data() = std::move(reported.summary);
  for (std::string& line : reported.left_out) result->add_left_out(std::move(line));
  RunPlan known = plan;
  known.host_downloads = std::move(reported.downloads);
  return known;
}

}  // namespace

absl::StatusOr<EvalRecord> EvaluateForDeadChief(RunInputs& in, Coordinator& coordinator,
                                                const std::string& token, const comm::TlsFiles& tls,
                                                uint64_t step, uint64_t samples, double now_s) {
  std::optional<PeerTable> peers = coordinator.WaitForPeers(absl::ZeroDuration());
  if (!peers) return absl::InternalError("no peer table");
  std::vector<float> params(in.plan.parameters);
  absl::Status pulled = PullNewest(in.plan, *peers, token, tls, &params);
  if (!pulled.ok()) {
    return absl::Status(pulled.code(),
                        absl::StrCat("evaluating for the dead chief: ", pulled.message()));
  }
  Stopwatch watch;
  const EvalResult eval = Evaluate(*in.model, params, in.test);
  EvalRecord record;
  record.set_step(step);
  record.set_samples(samples);
  record.set_duration_s(watch.Seconds());
  record.set_end_s(now_s + record.duration_s());
  record.set_test_accuracy(eval.accuracy);
  record.set_test_loss(eval.loss);
  return record;
}

absl::StatusOr<RunResult> FinishDistributedRun(const RunPlan& plan, ModelFacts facts,
                                               const Coordinator& coordinator,
                                               const std::vector<uint32_t>& lost,
                                               RunRecorder& recorder, const DataSummary& data,
                                               const DistributedRunOptions& options,
                                               const Stopwatch& clock,
                                               const CheckpointSummary& checkpoints) {
  RunResult result;
  Describe(plan, options, &result);
  *result.mutable_checkpoints() = checkpoints;
  ModelAfterRejoins(&recorder.aggregate(), result.mutable_checkpoints());
  DS_RETURN_IF_ERROR(recorder.aggregate().Fill(
      coordinator.summaries(ProcessInfo::WORKER), coordinator.summaries(ProcessInfo::SERVER),
      plan.server_params, plan.config.has_allreduce(), &result));
  MarkLost(lost, &result);
  result.mutable_memory()->set_launcher_pss_bytes(ReadProcessMemory().pss_bytes);
  facts.worker_lost.assign(plan.shape.workers, false);
  for (uint32_t w : lost) facts.worker_lost[w] = true;
  const RunPlan known = KnownData(plan, coordinator, data, options, &result);
  // A resumed run's clocks cover the steps after modelled_from_step: its records count from 1
  // for the timeline.
  const uint64_t resumed = result.checkpoints().modelled_from_step();
  for (std::vector<StepRecord>& steps : recorder.aggregate().records()) {
    for (StepRecord& r : steps) r.set_step(r.step() > resumed ? r.step() - resumed : 0);
  }
  model::Timeline timeline;
  DS_ASSIGN_OR_RETURN(*result.mutable_modelled(),
                      ModelRun(known, facts, &recorder.aggregate().records(), &timeline));
  SetModelledEvalTimes(timeline, result.modelled(), resumed, &result);
  for (size_t w = 0; w < timeline.worker_end_s.size() &&
                     w < static_cast<size_t>(result.worker_stats_size());
       ++w) {
    WorkerStats* stats = result.mutable_worker_stats(static_cast<int>(w));
    stats->set_modelled_seconds(timeline.worker_end_s[w]);
    if (w < timeline.worker_steps.size()) stats->set_modelled_steps(timeline.worker_steps[w]);
  }
  const double wall = clock.Seconds();
  result.set_wall_seconds(wall);
  result.set_samples_per_second(static_cast<double>(result.samples()) / wall);
  result.set_epochs(static_cast<double>(result.steps() * plan.batch) / plan.examples_per_epoch);
  DS_RETURN_IF_ERROR(report::WriteResultJson(
      result, (fs::path(options.out_dir) / "result.json").string()));
  DS_RETURN_IF_ERROR(report::WriteChromeTrace(
      RunTraceTracks(plan, facts, coordinator, recorder, timeline, wall),
      (fs::path(options.out_dir) / "trace.json").string()));
  return result;
}

absl::Status WritePartialResult(const RunPlan& plan, const DistributedRunOptions& options,
                                uint64_t steps, CheckpointSummary checkpoints,
                                const absl::Status& why) {
  RunResult result;
  Describe(plan, options, &result);
  result.set_steps(steps);
  checkpoints.set_interrupted(true);
  checkpoints.set_reason(std::string(why.message()));
  *result.mutable_checkpoints() = std::move(checkpoints);
  return report::WriteResultJson(result, (fs::path(options.out_dir) / "result.json").string());
}

}  // namespace distsim::node
