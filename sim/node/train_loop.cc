#include "sim/node/train_loop.h"

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "kernels/random.h"
#include "sim/base/clock.h"

namespace distsim::node {
namespace {

// One splitmix64 step from state x.
uint64_t Mix(uint64_t x) { return kernels::Mix64(x + 0x9e3779b97f4a7c15ULL); }

}  // namespace

uint64_t DataSeed(uint64_t seed) { return Mix(seed ^ 0xda7a5eedULL); }
uint64_t DropoutSeed(uint64_t seed, uint64_t step) { return Mix(Mix(seed ^ 0xd409ULL) + step); }

uint64_t StepsForLength(const TrainConfig& train, double steps_per_epoch) {
  if (train.length_case() == TrainConfig::kSteps) return train.steps();
  const double steps = std::ceil(train.epochs() * steps_per_epoch - 1e-9);
  return std::max<uint64_t>(1, static_cast<uint64_t>(steps));
}

EvalResult Evaluate(kernels::Model<float>& model, std::span<const float> params,
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

absl::StatusOr<LoopResult> RunTrainLoop(kernels::Model<float>& model, std::vector<float>& params,
                                        const data::Dataset& train, const data::Dataset* test,
                                        const std::function<void(std::span<int64_t>)>& next_batch,
                                        strategy::GradientExchange& exchange,
                                        const LoopConfig& config, LoopObserver& observer,
                                        double clock_start_s) {
  Stopwatch clock;
  const int batch = config.batch;
  std::vector<float> grads(params.size());
  std::vector<int64_t> indices(batch);
  std::vector<float> x(static_cast<size_t>(train.example_dim()) * batch);
  std::vector<int32_t> labels(batch);
  LoopResult result;
  if (config.max_steps > 0) result.step_seconds.reserve(config.max_steps);
  double interval_loss = 0, interval_accuracy = 0;
  uint64_t interval_steps = 0;

  auto evaluate = [&](uint64_t step) -> absl::Status {
    Stopwatch eval_clock;
    absl::Status fetched = exchange.FetchLatest(params);
    if (!fetched.ok()) return fetched;
    EvalResult eval = Evaluate(model, params, *test);
    const double took = eval_clock.Seconds();
    result.eval_s += took;
    EvalRecord record;
    record.set_step(step);
    record.set_samples(step * config.samples_per_step);
    record.set_end_s(clock_start_s + clock.Seconds());
    record.set_test_accuracy(eval.accuracy);
    record.set_test_loss(eval.loss);
    record.set_duration_s(took);
    result.evals.push_back(record);
    observer.OnEval(record);
    return absl::OkStatus();
  };

  for (uint64_t step = 1; config.max_steps == 0 || step <= config.max_steps; ++step) {
    if (config.stop != nullptr && config.stop->load(std::memory_order_relaxed)) {
      return absl::CancelledError(absl::StrFormat("interrupted at step %d", step - 1));
    }
    if (config.kill_at_step == step) {
      // An injected fault: die as a crashed machine would, without a word to anyone.
      std::fflush(nullptr);
      std::raise(SIGKILL);
    }
    double paused = 0;
    if (config.pause_at_step == step && config.pause_s > 0) {
      absl::SleepFor(absl::Seconds(config.pause_s));
      paused = config.pause_s;
    }
    strategy::StepComm comm;
    Stopwatch step_clock;
    next_batch(std::span<int64_t>(indices));
    train.Gather<float>(indices, x.data(), labels.data());
    const double t_data = step_clock.Seconds();
    const double pull_start = clock_start_s + clock.Seconds();
    absl::Status begun = exchange.BeginStep(step, params, &comm);
    if (!begun.ok()) return begun;
    const double t_begun = step_clock.Seconds();
    int correct = 0;
    const double cpu_before = ThreadCpuSeconds();
    const float loss = model.TrainStep(params.data(), x.data(), labels.data(), batch,
                                       DropoutSeed(config.seed, step), grads.data(), &correct);
    const double compute_cpu = ThreadCpuSeconds() - cpu_before;
    if (config.slowdown > 1) {
      absl::SleepFor(absl::Seconds((config.slowdown - 1) * (step_clock.Seconds() - t_begun)));
    }
    const double t_computed = step_clock.Seconds();
    if (!std::isfinite(loss)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "training diverged at step %d (loss %g): lower optimizer.*.learning_rate", step, loss));
    }
    const double push_start = clock_start_s + clock.Seconds();
    absl::Status ended = exchange.EndStep(step, grads, params, &comm);
    if (!ended.ok()) return ended;
    const double t_step = step_clock.Seconds();

    result.steps = step;
    result.step_seconds.push_back(t_step);
    result.train_s += t_step;
    const double accuracy = static_cast<double>(correct) / batch;
    interval_loss += loss;
    interval_accuracy += accuracy;
    ++interval_steps;

    StepRecord record;
    record.set_step(step);
    record.set_end_s(clock_start_s + clock.Seconds());
    record.set_step_s(t_step);
    record.set_data_s(t_data);
    record.set_compute_s(t_computed - t_begun);
    record.set_compute_cpu_s(compute_cpu);
    record.set_pull_s(comm.pull_s);
    record.set_push_s(comm.push_s);
    record.set_wait_s(comm.wait_s);
    record.set_reduce_s(comm.reduce_s);
    record.set_update_s(comm.update_s);
    record.set_bytes_sent(comm.bytes_sent);
    record.set_bytes_received(comm.bytes_received);
    record.set_loss(loss);
    record.set_batch_accuracy(static_cast<float>(accuracy));
    record.set_staleness(comm.staleness);
    record.set_nic_bytes_sent(comm.nic_bytes_sent);
    record.set_nic_bytes_received(comm.nic_bytes_received);
    record.set_model_pause_s(paused);
    record.set_pull_start_s(pull_start);
    record.set_push_start_s(push_start);
    observer.OnStep(record);

    const bool global_done = config.global_steps > 0 && comm.global_step >= config.global_steps;
    const bool last = global_done || step == config.max_steps;
    if (test != nullptr && (last || (config.eval_every > 0 && step % config.eval_every == 0))) {
      if (last) {
        result.final_train_loss = interval_loss / interval_steps;
        result.final_train_accuracy = interval_accuracy / interval_steps;
      }
      absl::Status evaluated = evaluate(step);
      if (!evaluated.ok()) return evaluated;
      interval_loss = interval_accuracy = 0;
      interval_steps = 0;
    } else if (last && interval_steps > 0) {
      result.final_train_loss = interval_loss / interval_steps;
      result.final_train_accuracy = interval_accuracy / interval_steps;
    }
    if (global_done) break;
  }
  absl::Status finished = exchange.Finish();
  if (!finished.ok()) return finished;
  result.wall_s = clock.Seconds();
  return result;
}

}  // namespace distsim::node
