#include "sim/report/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <string>

namespace distsim::report {

Progress::Progress(std::FILE* out, bool enabled, uint64_t every_steps, uint64_t total_steps,
                   size_t columns)
    : out_(out),
      enabled_(enabled),
      tty_(enabled && isatty(fileno(out)) != 0),
      columns_(columns),
      every_steps_(every_steps),
      total_steps_(total_steps),
      warmup_steps_(std::max<uint64_t>(10, total_steps / 50)) {
  if (!tty_ && every_steps_ == 0) every_steps_ = std::max<uint64_t>(1, total_steps / 10);
}

std::string Progress::FormatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  long s = std::lround(seconds);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof(buf), "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  } else {
    std::snprintf(buf, sizeof(buf), "%ld:%02ld", s / 60, s % 60);
  }
  return buf;
}

std::string Progress::Bar(double fraction, int width) {
  const int filled = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * width + 0.5);
  std::string bar = "[";
  for (int i = 0; i < width; ++i) bar.push_back(i < filled ? '#' : '.');
  return bar + "]";
}

double Progress::EtaSeconds(const ProgressState& state) const {
  if (seconds_per_step_ <= 0 || state.step >= total_steps_)
    return state.step >= total_steps_ ? 0 : NAN;
  return seconds_per_step_ * static_cast<double>(total_steps_ - state.step);
}

// Weight of the newest interval in the moving average of seconds per step.
constexpr double kRateWeight = 0.3;

void Progress::UpdateRate(const ProgressState& state) {
  if (state.step < warmup_steps_) return;
  if (rate_step_ > 0 && state.step > rate_step_) {
    const double per_step =
        (state.elapsed_s - rate_elapsed_s_) / static_cast<double>(state.step - rate_step_);
    seconds_per_step_ = seconds_per_step_ > 0
                            ? (1 - kRateWeight) * seconds_per_step_ + kRateWeight * per_step
                            : per_step;
  }
  rate_step_ = state.step;
  rate_elapsed_s_ = state.elapsed_s;
}

void Progress::ClearLine() {
  if (line_open_) {
    std::fputs("\r\033[K", out_);
    line_open_ = false;
  }
}

bool Progress::Step(const ProgressState& state) {
  if (!enabled_) return false;
  bool last = state.step == total_steps_;
  // Steps may arrive several at a time (a distributed run's heartbeats carry a batch), so a line
  // is due when the step has passed a multiple of every_steps since the last line, not only when
  // it lands on one.
  const bool crossed = every_steps_ > 0 && state.step / every_steps_ > drawn_step_ / every_steps_;
  if (tty_) {
    bool due = every_steps_ ? crossed : since_draw_.Seconds() >= 0.25;
    if (!due && !last) return false;
    since_draw_.Restart();
  } else if (!crossed && !last) {
    return false;
  }
  drawn_step_ = state.step;
  const double fraction = total_steps_ ? static_cast<double>(state.step) / total_steps_ : 0.0;
  UpdateRate(state);
  const double eta = EtaSeconds(state);
  ClearLine();
  char text[320];
  std::snprintf(text, sizeof(text),
                "%s%sstep %llu/%llu (%3.0f%%)  elapsed %s  eta %s  epoch %.2f  loss %.4f  "
                "batch acc %5.1f%%  %.0f samples/s",
                tty_ ? Bar(fraction, 20).c_str() : "", tty_ ? " " : "",
                static_cast<unsigned long long>(state.step),
                static_cast<unsigned long long>(total_steps_), 100.0 * fraction,
                FormatDuration(state.elapsed_s).c_str(), FormatDuration(eta).c_str(), state.epoch,
                state.loss, 100.0 * state.batch_accuracy, state.samples_per_second);
  std::string line = text;
  if (tty_) {
    // A line wider than the terminal wraps, and "\r" then redraws only its last row: cut it,
    // losing the least needed figures at its end first.
    if (columns_ > 1 && line.size() >= columns_) line.resize(columns_ - 1);
    std::fputs(line.c_str(), out_);
    line_open_ = true;
  } else {
    std::fputs(line.c_str(), out_);
    std::fputc('\n', out_);
  }
  std::fflush(out_);
  return true;
}

void Progress::Eval(uint64_t step, double test_accuracy, double test_loss, double elapsed_s) {
  if (!enabled_) return;
  ClearLine();
  std::fprintf(out_, "eval at step %llu: test accuracy %.2f%%  test loss %.4f  (%s)\n",
               static_cast<unsigned long long>(step), 100.0 * test_accuracy, test_loss,
               FormatDuration(elapsed_s).c_str());
  std::fflush(out_);
}

void Progress::Finish() {
  if (!enabled_) return;
  if (line_open_) {
    std::fputc('\n', out_);
    line_open_ = false;
  }
  std::fflush(out_);
}

}  // namespace distsim::report
