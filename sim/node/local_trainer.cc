#include "sim/node/local_trainer.h"

#include <unistd.h>

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "kernels/probe.h"
#include "sim/base/clock.h"
#include "sim/base/status.h"
#include "sim/data/channel.h"
#include "sim/data/dataset.h"
#include "sim/data/distribution.h"
#include "sim/data/sampler.h"
#include "sim/node/channel_report.h"
#include "sim/node/channels.h"
#include "sim/node/factory.h"
#include "sim/node/model_export.h"
#include "sim/node/modelled.h"
#include "sim/node/provenance.h"
#include "sim/node/run_aggregate.h"
#include "sim/node/run_lock.h"
#include "sim/node/run_plan.h"
#include "sim/node/run_recorder.h"
#include "sim/node/train_loop.h"
#include "sim/report/progress.h"
#include "sim/report/result_io.h"
#include "sim/report/stats.h"
#include "sim/report/steps_csv.h"
#include "sim/report/trace.h"
#include "sim/strategy/local_exchange.h"

namespace distsim::node {
namespace {

// Turns the loop's records into steps.csv rows and progress lines.
class LocalObserver final : public LoopObserver {
 public:
  LocalObserver(report::StepsCsvWriter* csv, report::Progress* progress, uint64_t total_steps,
                int batch, int64_t train_size, const Stopwatch* run_clock)
      : csv_(csv),
        progress_(progress),
        total_steps_(total_steps),
        batch_(batch),
        train_size_(train_size),
        run_clock_(run_clock) {}

  void OnStep(const StepRecord& r) override {
    trace_.steps.push_back(r);
    // The row of step s is written when step s+1 begins or at the end, so that an evaluation
    // at step s lands in its row.
    Flush();
    const uint64_t samples = r.step() * static_cast<uint64_t>(batch_);
    pending_ = report::StepRowFromRecord(
        0, r, samples, static_cast<double>(samples) / static_cast<double>(train_size_));
    const report::StepRow& row = *pending_;

    window_loss_ += r.loss();
    window_accuracy_ += r.batch_accuracy();
    window_steps_ += 1;
    window_samples_ += batch_;
    report::ProgressState state;
    state.step = r.step();
    state.total_steps = total_steps_;
    state.epoch = row.epoch;
    state.loss = window_loss_ / window_steps_;
    state.batch_accuracy = window_accuracy_ / window_steps_;
    state.samples_per_second = window_samples_ / std::max(window_clock_.Seconds(), 1e-9);
    state.elapsed_s = run_clock_->Seconds();
    if (progress_->Step(state)) {
      window_loss_ = window_accuracy_ = window_steps_ = 0;
      window_samples_ = 0;
      window_clock_.Restart();
    }
  }

  void OnEval(const EvalRecord& e) override {
    trace_.evals.push_back({e.end_s(), e.duration_s(), e.step(), e.test_accuracy()});
    if (pending_ && pending_->step == e.step()) {
      pending_->test_accuracy = e.test_accuracy();
      pending_->test_loss = e.test_loss();
    }
    progress_->Eval(e.step(), e.test_accuracy(), e.test_loss(), run_clock_->Seconds());
  }

  absl::Status status() const override {
    return csv_ != nullptr ? csv_->status() : absl::OkStatus();
  }

  // The run as one Chrome-trace track (the records seen so far).
  report::TraceTrack& trace() { return trace_; }

  void Flush() {
    if (pending_ && csv_ != nullptr) csv_->Append(*pending_);
    pending_.reset();
  }

 private:
  report::StepsCsvWriter* csv_;
  report::Progress* progress_;
  uint64_t total_steps_;
  int batch_;
  int64_t train_size_;
  const Stopwatch* run_clock_;
  std::optional<report::StepRow> pending_;
  report::TraceTrack trace_;
  double window_loss_ = 0, window_accuracy_ = 0, window_steps_ = 0;
  uint64_t window_samples_ = 0;
  Stopwatch window_clock_;
};

}  // namespace

absl::Status SetComputeThreads(uint32_t threads) {
  if (threads <= 1) {
#ifdef DISTSIM_OPENMP
    Eigen::setNbThreads(1);
#endif
    return absl::OkStatus();
  }
#ifdef DISTSIM_OPENMP
  Eigen::setNbThreads(static_cast<int>(threads));
  return absl::OkStatus();
#else
  return absl::InvalidArgumentError(absl::StrCat(
      "train.threads: ", threads,
      " needs a build with OpenMP (cmake -DDISTSIM_OPENMP=ON); this build runs Eigen on one "
      "thread per process"));
#endif
}

std::string HashFloats(std::span<const float> values) {
  uint64_t h = 0xcbf29ce484222325ULL;
  const auto* bytes = reinterpret_cast<const unsigned char*>(values.data());
  for (size_t i = 0; i < values.size() * sizeof(float); ++i) {
    h ^= bytes[i];
    h *= 0x100000001b3ULL;
  }
  return absl::StrFormat("%016x", h);
}

namespace {

// The local run's result from its loop: counts, times, the final accuracy and evaluations.
RunResult LocalResult(const RunPlan& plan, const LoopResult& loop, const std::string& hash,
                      const std::string& command_line, double wall) {
  RunResult result;
  *result.mutable_config() = plan.config;
  *result.mutable_provenance() = CollectProvenance(1, command_line);
  result.set_parameter_count(static_cast<uint64_t>(plan.parameters));
  result.set_chance_accuracy(1.0 / plan.num_classes);
  result.set_run_length(RunLengthText(plan.config));
  result.set_steps(loop.steps);
  result.set_samples(loop.steps * static_cast<uint64_t>(plan.batch));
  result.set_epochs(static_cast<double>(result.samples()) /
                    static_cast<double>(plan.examples_per_epoch));
  result.set_wall_seconds(wall);
  result.set_samples_per_second(static_cast<double>(result.samples()) / wall);
  result.set_train_seconds(loop.train_s);
  result.set_eval_seconds(loop.eval_s);
  *result.mutable_step_times() = report::SummarizeStepTimes(loop.step_seconds, plan.warmup_steps);
  result.set_parameter_hash(hash);
  result.set_final_train_loss(loop.final_train_loss);
  result.set_final_train_accuracy(loop.final_train_accuracy);
  for (const EvalRecord& e : loop.evals) *result.add_evals() = ToEvalPoint(e);
  if (!loop.evals.empty()) {
    result.set_final_test_accuracy(loop.evals.back().test_accuracy());
    result.set_final_test_loss(loop.evals.back().test_loss());
  }
  return result;
}

// result.json and trace.json (one track: this process).
absl::Status WriteLocalResults(const RunResult& result, report::TraceTrack track,
                               const std::string& out_dir) {
  DS_RETURN_IF_ERROR(report::WriteResultJson(
      result, (std::filesystem::path(out_dir) / "result.json").string()));
  track.name = "local (worker 0)";
  track.pid = getpid();
  return report::WriteChromeTrace({std::move(track)},
                                  (std::filesystem::path(out_dir) / "trace.json").string());
}

absl::StatusOr<std::optional<report::StepsCsvWriter>> OpenCsv(const std::string& out_dir) {
  if (out_dir.empty()) return std::nullopt;
  DS_RETURN_IF_ERROR(report::EnsureDir(out_dir));
  DS_ASSIGN_OR_RETURN(report::StepsCsvWriter writer,
                      report::StepsCsvWriter::Open(
                          (std::filesystem::path(out_dir) / "steps.csv").string()));
  return std::optional<report::StepsCsvWriter>(std::move(writer));
}

// With a results folder, the run reads its training set through its one host's channel, as a
// SageMaker job would (channels.h), and returns the data summary; without one it writes nothing
// and reads the set in place.
absl::StatusOr<std::optional<DataSummary>> UseChannel(const LocalRunOptions& options,
                                                      RunInputs* in) {
  if (options.out_dir.empty()) return std::nullopt;
  DS_ASSIGN_OR_RETURN(RunChannels channels, PrepareChannels(in->plan, in->train, in->test,
                                                            options.objects_dir, options.out_dir));
  DS_ASSIGN_OR_RETURN(data::Channel channel,
                      data::OpenTrainChannel(channels.host_data_dirs[0] + "/train",
                                             NumClasses(in->plan.config)));
  in->train = std::move(channel.data);
  return std::optional<DataSummary>(std::move(channels.summary));
}

// The run's inputs: the set in data_dir (read through its one host's channel when the run has a
// results folder, `data` then says what it holds), or the channel SageMaker laid out
// (`distsim train`), every object it holds read as it is by `held`, which fixes the run's
// length.
absl::StatusOr<RunInputs> OpenLocal(const RunConfig& config, const LocalRunOptions& options,
                                    std::optional<DataSummary>* data,
                                    std::unique_ptr<data::WorkerSampler>* held) {
  if (options.channel_dir.empty()) {
    DS_ASSIGN_OR_RETURN(RunInputs in, OpenRun(config, options.data_dir));
    DS_RETURN_IF_ERROR(CheckModelMemory(in.plan, AvailableMemoryBytes()));
    if (in.train.size() == 0) {
      return absl::DataLossError(absl::StrCat(options.data_dir, ": the training set is empty"));
    }
    DS_ASSIGN_OR_RETURN(*data, UseChannel(options, &in));
    return in;  // the caller's EpochSampler reads it
  }
  DS_ASSIGN_OR_RETURN(RunInputs in, OpenChannelRun(config, options.channel_dir));
  DS_RETURN_IF_ERROR(CheckModelMemory(in.plan, AvailableMemoryBytes()));
  RunPlan& plan = in.plan;
  DS_ASSIGN_OR_RETURN(*held, data::MakeHeldSampler(data::Distribution::kShardedByKey,
                                                   in.channel_ids, 0, 1, plan.batch,
                                                   plan.data_seed, plan.shuffle));
  plan.examples_per_epoch = std::max<int64_t>(1, (*held)->examples());
  plan.length = LengthOf(plan.config, (*held)->steps_per_epoch());
  ReportedData reported = DataFromReports(plan, {ChannelReport(in, options.channel_dir)}, {});
  plan.host_downloads = std::move(reported.downloads);
  *data = std::move(reported.summary);
  return in;
}

ModelDescription DescribeLocalModel(const RunInputs& in, std::span<const float> params,
                                    const RunResult& result) {
  return DescribeModel(in.plan, in.model->layout(), in.train.rows(), in.train.cols(), params,
                       "the local run's final parameters", result.final_test_accuracy());
}

LoopConfig LocalLoopConfig(const RunPlan& plan, const std::atomic<bool>* stop) {
  LoopConfig loop;
  loop.batch = plan.batch;
  loop.max_steps = plan.length.max_steps;
  loop.eval_every = plan.config.train().eval_every_steps();
  loop.seed = plan.config.seed();
  loop.examples_per_epoch = plan.examples_per_epoch;
  loop.samples_per_step = static_cast<uint64_t>(plan.batch);
  loop.stop = stop;
  return loop;
}

}  // namespace

absl::StatusOr<RunResult> RunLocal(const RunConfig& config, const LocalRunOptions& options) {
  Stopwatch clock;  // started before the data is first read: time to accuracy counts loading
  std::optional<RunFolderLock> lock;
  if (!options.out_dir.empty()) {
    DS_ASSIGN_OR_RETURN(lock, RunFolderLock::Acquire(options.out_dir));
  }
  DS_RETURN_IF_ERROR(SetComputeThreads(config.train().threads()));
  std::optional<DataSummary> data;
  std::unique_ptr<data::WorkerSampler> held;
  DS_ASSIGN_OR_RETURN(RunInputs in, OpenLocal(config, options, &data, &held));
  const RunPlan& plan = in.plan;
  DS_ASSIGN_OR_RETURN(auto optimizer, MakeOptimizer(plan.config.optimizer(), plan.parameters));
  strategy::LocalExchange exchange(std::move(optimizer),
                                   LearningRateScheduleOf(plan.config.optimizer()));
  std::vector<float> params(plan.parameters);
  in.model->Init(plan.config.seed(), params.data());
  const LoopConfig loop = LocalLoopConfig(plan, options.stop);
  data::EpochSampler epoch(in.train.size(), plan.batch, plan.data_seed, plan.shuffle);
  auto next = [&](std::span<int64_t> out) { held ? held->Next(out) : epoch.Next(out); };
  // This machine's speed, for the modelled clock (only needed to scale CPU time to an instance).
  const ModelFacts facts = ModelFactsOf(
      plan, NeedsHostSpeed(plan.config) ? kernels::MeasureGemmGflops() : 0.0);
  DS_ASSIGN_OR_RETURN(std::optional<report::StepsCsvWriter> csv, OpenCsv(options.out_dir));
  report::Progress progress(options.progress ? options.progress : stderr,
                            options.progress != nullptr, options.progress_every_steps,
                            loop.max_steps, TerminalColumns(options.progress));
  LocalObserver observer(csv ? &*csv : nullptr, &progress, loop.max_steps, plan.batch,
                         plan.examples_per_epoch, &clock);
  absl::StatusOr<LoopResult> loop_result = RunTrainLoop(
      *in.model, params, in.train, &in.test, next, exchange, loop, observer, clock.Seconds());
  observer.Flush();
  progress.Finish();
  if (!loop_result.ok()) return loop_result.status();
  RunResult result =
      LocalResult(plan, *loop_result, HashFloats(params), options.command_line, clock.Seconds());
  std::vector<std::vector<StepRecord>> records = {observer.trace().steps};
  for (const StepRecord& r : records[0]) {
    result.set_compute_cpu_seconds(result.compute_cpu_seconds() + r.compute_cpu_s());
  }
  if (data) *result.mutable_data() = std::move(*data);
  model::Timeline timeline;
  DS_ASSIGN_OR_RETURN(*result.mutable_modelled(), ModelRun(plan, facts, &records, &timeline));
  SetModelledEvalTimes(timeline, result.modelled(), 0, &result);
  if (csv) DS_RETURN_IF_ERROR(csv->Close());
  if (!options.out_dir.empty()) {
    DS_RETURN_IF_ERROR(WriteLocalResults(result, observer.trace(), options.out_dir));
  }
  if (!options.model_dir.empty()) {
    DS_RETURN_IF_ERROR(WriteModel(options.model_dir, DescribeLocalModel(in, params, result),
                                  params));
  }
  if (options.final_params != nullptr) *options.final_params = std::move(params);
  return result;
}

}  // namespace distsim::node
