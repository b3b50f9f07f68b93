#include "sim/node/train_loop.h"

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "kernels/random.h"
#include "sim/base/clock.h"
#include "sim/base/status.h"

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

namespace {

// What one step measured, on the step's own clock (seconds since it began).
struct StepTimes {
  double data = 0, begun = 0, computed = 0, step = 0;
  double pull_start = 0, push_start = 0;  // on the run's clock
  double compute_cpu = 0, paused = 0;
};

StepRecord RecordOf(uint64_t step, const StepTimes& t, const strategy::StepComm& comm, float loss,
                    double accuracy, double end_s) {
  StepRecord record;
  record.set_step(step);
  record.set_end_s(end_s);
  record.set_step_s(t.step);
  record.set_data_s(t.data);
  record.set_compute_s(t.computed - t.begun);
  record.set_compute_cpu_s(t.compute_cpu);
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
  record.set_model_pause_s(t.paused);
  record.set_pull_start_s(t.pull_start);
  record.set_push_start_s(t.push_start);
  return record;
}

// The loop's state between steps: buffers sized once, the result so far, and the training loss
// and accuracy since the last evaluation.
class TrainLoop {
 public:
  TrainLoop(kernels::Model<float>& model, std::vector<float>& params, const data::Dataset& train,
            const data::Dataset* test,
            const std::function<void(std::span<int64_t>)>& next_batch,
            strategy::GradientExchange& exchange, const LoopConfig& config,
            LoopObserver& observer, double clock_start_s)
      : model_(model), params_(params), train_(train), test_(test), next_batch_(next_batch),
        exchange_(exchange), config_(config), observer_(observer), start_s_(clock_start_s),
        grads_(params.size()), indices_(config.batch),
        x_(static_cast<size_t>(train.example_dim()) * config.batch), labels_(config.batch) {
    if (config.max_steps > 0) result_.step_seconds.reserve(config.max_steps);
  }

  absl::StatusOr<LoopResult> Run() {
    for (uint64_t step = config_.first_step + 1;
         config_.max_steps == 0 || step <= config_.max_steps; ++step) {
      absl::StatusOr<bool> more = Step(step);
      if (!more.ok()) return more.status();
      if (!*more) break;
    }
    DS_RETURN_IF_ERROR(exchange_.Finish());
    result_.wall_s = clock_.Seconds();
    return std::move(result_);
  }

 private:
  double Now() const { return start_s_ + clock_.Seconds(); }

  // Before step `step`: a stop request, and the injected kill and pause. Returns the pause.
  absl::StatusOr<double> BeforeStep(uint64_t step) {
    if (config_.stop != nullptr && config_.stop->load(std::memory_order_relaxed)) {
      return absl::CancelledError(absl::StrFormat("interrupted at step %d", step - 1));
    }
    if (config_.kill_at_step == step) {
      // An injected fault: die as a crashed machine would, without a word to anyone.
      std::fflush(nullptr);
      std::raise(SIGKILL);
    }
    if (config_.pause_at_step == step && config_.pause_s > 0) {
      absl::SleepFor(absl::Seconds(config_.pause_s));
      return config_.pause_s;
    }
    return 0.0;
  }

  // Batch -> exchange's begin -> forward/backward (padded for a slow worker) -> exchange's end.
  absl::Status Compute(uint64_t step, StepTimes* t, strategy::StepComm* comm, float* loss,
                       int* correct) {
    Stopwatch step_clock;
    next_batch_(std::span<int64_t>(indices_));
    train_.Gather<float>(indices_, x_.data(), labels_.data());
    t->data = step_clock.Seconds();
    t->pull_start = Now();
    DS_RETURN_IF_ERROR(exchange_.BeginStep(step, params_, comm));
    t->begun = step_clock.Seconds();
    const double cpu_before = ThreadCpuSeconds();
    *loss = model_.TrainStep(params_.data(), x_.data(), labels_.data(), config_.batch,
                             DropoutSeed(config_.seed, step), grads_.data(), correct);
    t->compute_cpu = ThreadCpuSeconds() - cpu_before;
    if (config_.slowdown > 1) {
      absl::SleepFor(absl::Seconds((config_.slowdown - 1) * (step_clock.Seconds() - t->begun)));
    }
    t->computed = step_clock.Seconds();
    if (!std::isfinite(*loss)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "training diverged at step %d (loss %g): lower optimizer.*.learning_rate", step, *loss));
    }
    if (config_.corrupt_at_step == step && !grads_.empty()) {
      grads_[grads_.size() / 2] = std::nanf("");  // an injected fault: a flipped exponent
    }
    const bool checkpoint = config_.checkpoint && config_.checkpoint_every > 0 &&
                            step % config_.checkpoint_every == 0;
    if (checkpoint && !config_.checkpoint_after_exchange) DS_RETURN_IF_ERROR(config_.checkpoint(step));
    t->push_start = Now();
    DS_RETURN_IF_ERROR(exchange_.EndStep(step, grads_, params_, comm));
    if (checkpoint && config_.checkpoint_after_exchange) DS_RETURN_IF_ERROR(config_.checkpoint(step));
    t->step = step_clock.Seconds();
    return absl::OkStatus();
  }

  // One step and, when due, an evaluation. False when the loop must end (global steps reached).
  absl::StatusOr<bool> Step(uint64_t step) {
    StepTimes t;
    DS_ASSIGN_OR_RETURN(t.paused, BeforeStep(step));
    strategy::StepComm comm;
    float loss = 0;
    int correct = 0;
    DS_RETURN_IF_ERROR(Compute(step, &t, &comm, &loss, &correct));
    result_.steps = step;
    result_.step_seconds.push_back(t.step);
    result_.train_s += t.step;
    const double accuracy = static_cast<double>(correct) / config_.batch;
    interval_loss_ += loss;
    interval_accuracy_ += accuracy;
    ++interval_steps_;
    observer_.OnStep(RecordOf(step, t, comm, loss, accuracy, Now()));
    DS_RETURN_IF_ERROR(observer_.status());
    const bool global_done = config_.global_steps > 0 && comm.global_step >= config_.global_steps;
    const bool last = global_done || step == config_.max_steps;
    if (last && interval_steps_ > 0) {
      result_.final_train_loss = interval_loss_ / interval_steps_;
      result_.final_train_accuracy = interval_accuracy_ / interval_steps_;
    }
    if (test_ != nullptr && (last || (config_.eval_every > 0 && step % config_.eval_every == 0))) {
      DS_RETURN_IF_ERROR(EvaluateAt(step));
      interval_loss_ = interval_accuracy_ = 0;
      interval_steps_ = 0;
    }
    return !global_done;
  }

  absl::Status EvaluateAt(uint64_t step) {
    Stopwatch eval_clock;
    DS_RETURN_IF_ERROR(exchange_.FetchLatest(params_));
    const EvalResult eval = Evaluate(model_, params_, *test_);
    const double took = eval_clock.Seconds();
    result_.eval_s += took;
    EvalRecord record;
    record.set_step(step);
    record.set_samples(step * config_.samples_per_step);
    record.set_end_s(Now());
    record.set_test_accuracy(eval.accuracy);
    record.set_test_loss(eval.loss);
    record.set_duration_s(took);
    result_.evals.push_back(record);
    observer_.OnEval(record);
    return absl::OkStatus();
  }

  kernels::Model<float>& model_;
  std::vector<float>& params_;
  const data::Dataset& train_;
  const data::Dataset* test_;
  const std::function<void(std::span<int64_t>)>& next_batch_;
  strategy::GradientExchange& exchange_;
  const LoopConfig& config_;
  LoopObserver& observer_;
  const double start_s_;
  Stopwatch clock_;
  std::vector<float> grads_;
  std::vector<int64_t> indices_;
  std::vector<float> x_;
  std::vector<int32_t> labels_;
  LoopResult result_;
  double interval_loss_ = 0, interval_accuracy_ = 0;
  uint64_t interval_steps_ = 0;
};

}  // namespace

absl::StatusOr<LoopResult> RunTrainLoop(kernels::Model<float>& model, std::vector<float>& params,
                                        const data::Dataset& train, const data::Dataset* test,
                                        const std::function<void(std::span<int64_t>)>& next_batch,
                                        strategy::GradientExchange& exchange,
                                        const LoopConfig& config, LoopObserver& observer,
                                        double clock_start_s) {
  TrainLoop loop(model, params, train, test, next_batch, exchange, config, observer,
                 clock_start_s);
  return loop.Run();
}

}  // namespace distsim::node
