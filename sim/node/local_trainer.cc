#include "sim/node/local_trainer.h"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sim/base/clock.h"
#include "sim/base/status.h"
#include "sim/data/dataset.h"
#include "sim/data/sampler.h"
#include "sim/node/factory.h"
#include "sim/node/provenance.h"
#include "sim/report/progress.h"
#include "sim/report/result_io.h"
#include "sim/report/stats.h"
#include "sim/report/steps_csv.h"

namespace distsim::node {
namespace {

// Seeds of the run's random streams, derived from the one config seed so that changing the data
// order does not change the initialisation and vice versa.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
uint64_t DataSeed(uint64_t seed) { return Mix(seed ^ 0xda7a5eedULL); }
uint64_t DropoutSeed(uint64_t seed, uint64_t step) { return Mix(Mix(seed ^ 0xd409ULL) + step); }

struct EvalResult {
  double accuracy = 0;
  double loss = 0;
};

// Accuracy and mean loss over the whole test set, in batches.
EvalResult Evaluate(kernels::Model<float>& model, const std::vector<float>& params,
                    const data::Dataset& test) {
  constexpr int64_t kBatch = 500;
  std::vector<int64_t> indices(kBatch);
  std::vector<float> x(static_cast<size_t>(test.example_dim()) * kBatch);
  std::vector<int32_t> labels(kBatch);
  double loss_sum = 0;
  int64_t correct = 0;
  for (int64_t start = 0; start < test.size(); start += kBatch) {
    int64_t n = std::min(kBatch, test.size() - start);
    for (int64_t i = 0; i < n; ++i) indices[i] = start + i;
    test.Gather<float>(std::span<const int64_t>(indices.data(), n), x.data(), labels.data());
    model.Evaluate(params.data(), x.data(), labels.data(), static_cast<int>(n), &loss_sum,
                   &correct);
  }
  EvalResult r;
  if (test.size() > 0) {
    r.accuracy = static_cast<double>(correct) / static_cast<double>(test.size());
    r.loss = loss_sum / static_cast<double>(test.size());
  }
  return r;
}

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

std::string HashFloats(const std::vector<float>& values) {
  uint64_t h = 0xcbf29ce484222325ULL;
  const auto* bytes = reinterpret_cast<const unsigned char*>(values.data());
  for (size_t i = 0; i < values.size() * sizeof(float); ++i) {
    h ^= bytes[i];
    h *= 0x100000001b3ULL;
  }
  return absl::StrFormat("%016x", h);
}

uint64_t TotalSteps(const TrainConfig& train, int64_t train_size) {
  if (train.length_case() == TrainConfig::kSteps) return train.steps();
  double steps = std::ceil(train.epochs() * static_cast<double>(train_size) / train.batch_size() -
                           1e-9);
  return std::max<uint64_t>(1, static_cast<uint64_t>(steps));
}

absl::StatusOr<RunResult> RunLocal(const RunConfig& config, const LocalRunOptions& options) {
  Stopwatch clock;  // started before the data is first read: time to accuracy counts loading
  const TrainConfig& train_config = config.train();
  DS_RETURN_IF_ERROR(SetComputeThreads(train_config.threads()));
  DS_ASSIGN_OR_RETURN(auto datasets,
                      data::OpenIdxDir(options.data_dir, config.data().train_limit(),
                                       config.data().test_limit()));
  const data::Dataset& train = datasets.first;
  const data::Dataset& test = datasets.second;
  if (train.size() == 0) {
    return absl::DataLossError(absl::StrCat(options.data_dir, ": the training set is empty"));
  }

  DS_ASSIGN_OR_RETURN(std::unique_ptr<kernels::Model<float>> model,
                      MakeModel(config.model(), train.rows(), train.cols(), train.num_classes()));
  const int64_t n = model->layout().size();
  DS_ASSIGN_OR_RETURN(std::unique_ptr<kernels::Optimizer<float>> optimizer,
                      MakeOptimizer(config.optimizer(), n));
  std::vector<float> params(n), grads(n);
  model->Init(config.seed(), params.data());

  const int batch = static_cast<int>(train_config.batch_size());
  const uint64_t total_steps = TotalSteps(train_config, train.size());
  const uint64_t eval_every = train_config.eval_every_steps();
  const int warmup = train_config.has_warmup_steps() ? train_config.warmup_steps() : 10;
  data::EpochSampler sampler(train.size(), batch, DataSeed(config.seed()),
                             !train_config.has_shuffle() || train_config.shuffle());

  std::optional<report::StepsCsvWriter> csv;
  if (!options.out_dir.empty()) {
    DS_RETURN_IF_ERROR(report::EnsureDir(options.out_dir));
    DS_ASSIGN_OR_RETURN(report::StepsCsvWriter writer,
                        report::StepsCsvWriter::Open(
                            (std::filesystem::path(options.out_dir) / "steps.csv").string()));
    csv.emplace(std::move(writer));
  }
  report::Progress progress(options.progress ? options.progress : stderr,
                            options.progress != nullptr, options.progress_every_steps,
                            total_steps);

  RunResult result;
  std::vector<int64_t> indices(batch);
  std::vector<float> x(static_cast<size_t>(train.example_dim()) * batch);
  std::vector<int32_t> labels(batch);
  std::vector<double> step_seconds;
  step_seconds.reserve(total_steps);
  double window_loss = 0, window_correct = 0, window_steps = 0;
  double interval_loss = 0, interval_correct = 0, interval_steps = 0;
  Stopwatch window_clock;
  uint64_t window_samples = 0;
  double train_seconds = 0, eval_seconds = 0;

  for (uint64_t step = 1; step <= total_steps; ++step) {
    if (options.stop != nullptr && options.stop->load(std::memory_order_relaxed)) {
      progress.Finish();
      return absl::CancelledError(absl::StrCat("interrupted at step ", step - 1));
    }
    Stopwatch step_clock;
    sampler.Next(std::span<int64_t>(indices));
    train.Gather<float>(indices, x.data(), labels.data());
    const double t_data = step_clock.Seconds();
    int correct = 0;
    const float loss = model->TrainStep(params.data(), x.data(), labels.data(), batch,
                                        DropoutSeed(config.seed(), step), grads.data(), &correct);
    const double t_compute = step_clock.Seconds();
    optimizer->Step(std::span<float>(params), std::span<const float>(grads));
    const double t_step = step_clock.Seconds();
    step_seconds.push_back(t_step);
    train_seconds += t_step;
    if (!std::isfinite(loss)) {
      progress.Finish();
      return absl::InvalidArgumentError(absl::StrFormat(
          "training diverged at step %d (loss %g): lower optimizer.*.learning_rate", step, loss));
    }

    const uint64_t samples = step * static_cast<uint64_t>(batch);
    const double accuracy = static_cast<double>(correct) / batch;
    window_loss += loss, window_correct += accuracy, window_steps += 1;
    interval_loss += loss, interval_correct += accuracy, interval_steps += 1;
    window_samples += batch;

    report::StepRow row;
    row.step = step;
    row.samples = samples;
    row.epoch = static_cast<double>(samples) / static_cast<double>(train.size());
    row.wall_s = clock.Seconds();
    row.step_ms = 1e3 * t_step;
    row.data_ms = 1e3 * t_data;
    row.compute_ms = 1e3 * (t_compute - t_data);
    row.update_ms = 1e3 * (t_step - t_compute);
    row.loss = loss;
    row.batch_accuracy = accuracy;

    const bool last = step == total_steps;
    if (last || (eval_every > 0 && step % eval_every == 0)) {
      Stopwatch eval_clock;
      EvalResult eval = Evaluate(*model, params, test);
      eval_seconds += eval_clock.Seconds();
      EvalPoint* point = result.add_evals();
      point->set_step(step);
      point->set_samples(samples);
      point->set_wall_seconds(clock.Seconds());
      point->set_test_accuracy(eval.accuracy);
      point->set_test_loss(eval.loss);
      row.test_accuracy = eval.accuracy;
      row.test_loss = eval.loss;
      progress.Eval(step, eval.accuracy, eval.loss, clock.Seconds());
      if (last) {
        result.set_final_test_accuracy(eval.accuracy);
        result.set_final_test_loss(eval.loss);
        result.set_final_train_loss(interval_loss / interval_steps);
        result.set_final_train_accuracy(interval_correct / interval_steps);
      }
      interval_loss = interval_correct = interval_steps = 0;
    }
    if (csv) csv->Append(row);

    report::ProgressState state;
    state.step = step;
    state.total_steps = total_steps;
    state.epoch = row.epoch;
    state.loss = window_loss / window_steps;
    state.batch_accuracy = window_correct / window_steps;
    state.samples_per_second = window_samples / std::max(window_clock.Seconds(), 1e-9);
    state.elapsed_s = clock.Seconds();
    if (progress.Step(state)) {
      window_loss = window_correct = window_steps = 0;
      window_samples = 0;
      window_clock.Restart();
    }
  }
  progress.Finish();
  const double wall = clock.Seconds();

  *result.mutable_config() = config;
  *result.mutable_provenance() = CollectProvenance(1, options.command_line);
  result.set_parameter_count(static_cast<uint64_t>(n));
  result.set_steps(total_steps);
  result.set_samples(total_steps * static_cast<uint64_t>(batch));
  result.set_epochs(static_cast<double>(result.samples()) / static_cast<double>(train.size()));
  result.set_wall_seconds(wall);
  result.set_samples_per_second(static_cast<double>(result.samples()) / wall);
  result.set_train_seconds(train_seconds);
  result.set_eval_seconds(eval_seconds);
  *result.mutable_step_times() = report::SummarizeStepTimes(step_seconds, warmup);
  result.set_parameter_hash(HashFloats(params));

  if (csv) DS_RETURN_IF_ERROR(csv->Close());
  if (!options.out_dir.empty()) {
    DS_RETURN_IF_ERROR(report::WriteResultJson(
        result, (std::filesystem::path(options.out_dir) / "result.json").string()));
  }
  if (options.final_params != nullptr) *options.final_params = std::move(params);
  return result;
}

}  // namespace distsim::node
