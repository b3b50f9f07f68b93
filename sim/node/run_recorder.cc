#include "sim/node/run_recorder.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

namespace distsim::node {

size_t TerminalColumns(std::FILE* out) {
  struct winsize size {};
  if (out == nullptr || ioctl(fileno(out), TIOCGWINSZ, &size) != 0) return 0;
  return size.ws_col;
}

RunRecorder::RunRecorder(const RunPlan& plan, const ModelFacts& facts,
                         report::StepsCsvWriter csv, std::FILE* progress,
                         uint64_t progress_every_steps, const Stopwatch* clock)
    : plan_(plan),
      facts_(facts),
      clock_(clock),
      csv_(std::move(csv)),
      progress_(progress ? progress : stderr, progress != nullptr, progress_every_steps,
                plan.progress_total, TerminalColumns(progress)),
      aggregate_(plan.shape.workers, plan.batch, plan.warmup_steps),
      tracks_(plan.shape.workers) {}

void RunRecorder::Drain(Coordinator& coordinator) {
  Coordinator::NewRecords records = coordinator.TakeNewRecords();
  for (auto& [rank, r] : records.steps) AddStep(rank, std::move(r));
  for (const EvalRecord& e : records.evals) AddEval(e);
  if (window_n_ > 0) ShowProgress();
}

void RunRecorder::AddStep(uint32_t rank, StepRecord r) {
  const double slowdown = rank < plan_.faults.size() ? plan_.faults[rank].slowdown() : 1.0;
  r.set_model_compute_s(ModelComputeSeconds(plan_.config, facts_, slowdown, r));
  aggregate_.AddStep(rank, r);
  if (rank < tracks_.size()) tracks_[rank].steps.push_back(r);
  const uint64_t samples = r.step() * static_cast<uint64_t>(plan_.batch);
  report::StepRow row = report::StepRowFromRecord(
      rank, r, samples, static_cast<double>(samples) / plan_.examples_per_epoch);
  row.attempt = attempt_;
  if (rank != 0) {
    csv_.Append(row);
    return;
  }
  if (chief_row_) csv_.Append(*chief_row_);
  chief_row_ = row;
  window_loss_ += r.loss();
  window_accuracy_ += r.batch_accuracy();
  window_n_ += 1;
}

void RunRecorder::AddEval(const EvalRecord& e) {
  aggregate_.AddEval(e);
  tracks_[0].evals.push_back({e.end_s(), e.duration_s(), e.step(), e.test_accuracy()});
  if (chief_row_ && chief_row_->step == e.step()) {
    chief_row_->test_accuracy = e.test_accuracy();
    chief_row_->test_loss = e.test_loss();
  }
  progress_.Eval(e.step(), e.test_accuracy(), e.test_loss(), clock_->Seconds());
}

void RunRecorder::ShowProgress() {
  report::ProgressState state;
  state.step = plan_.progress_counts_all ? aggregate_.total_steps() : aggregate_.steps(0);
  state.total_steps = plan_.progress_total;
  state.epoch = static_cast<double>(aggregate_.steps(0) * plan_.batch) / plan_.examples_per_epoch;
  state.loss = window_loss_ / window_n_;
  state.batch_accuracy = window_accuracy_ / window_n_;
  state.samples_per_second = (aggregate_.samples() - window_start_samples_) /
                             std::max(window_clock_.Seconds(), 1e-9);
  state.elapsed_s = clock_->Seconds();
  if (progress_.Step(state)) {
    window_loss_ = window_accuracy_ = window_n_ = 0;
    window_start_samples_ = aggregate_.samples();
    window_clock_.Restart();
  }
}

absl::Status RunRecorder::Close() {
  if (chief_row_) csv_.Append(*chief_row_);
  chief_row_.reset();
  progress_.Finish();
  return csv_.Close();
}

}  // namespace distsim::node
