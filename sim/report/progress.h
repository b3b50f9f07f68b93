// Terminal progress for a run. On a terminal: one line redrawn in place about 4 times a second.
// Elsewhere (a log, CI): a plain line every `every_steps` steps. Evaluations always get a line.
// Writes to the FILE* given (stderr in the CLI), so stdout stays clean for programs.
#ifndef DISTSIM_SIM_REPORT_PROGRESS_H_
#define DISTSIM_SIM_REPORT_PROGRESS_H_

#include <cstdint>
#include <cstdio>
#include <string>

#include "sim/base/clock.h"

namespace distsim::report {

struct ProgressState {
  uint64_t step = 0;
  uint64_t total_steps = 0;
  double epoch = 0;
  double loss = 0;            // mean over the steps since the last line
  double batch_accuracy = 0;  // same window
  double samples_per_second = 0;
  double elapsed_s = 0;
};

class Progress {
 public:
  // every_steps 0: on a terminal redraw by time; off a terminal, a line every 10% of the run.
  Progress(std::FILE* out, bool enabled, uint64_t every_steps, uint64_t total_steps);

  // Called after every step; cheap when nothing is printed. Returns whether a line was drawn
  // (the caller then starts a new averaging window).
  bool Step(const ProgressState& state);
  // A line for an evaluation point, kept on screen.
  void Eval(uint64_t step, double test_accuracy, double test_loss, double elapsed_s);
  // Ends the in-place line, if any.
  void Finish();

  static std::string FormatDuration(double seconds);  // "1:02:03", "4:05", "0:07"

 private:
  void ClearLine();
  std::FILE* out_;
  bool enabled_;
  bool tty_;
  uint64_t every_steps_;
  uint64_t total_steps_;
  Stopwatch since_draw_;
  bool line_open_ = false;
};

}  // namespace distsim::report

#endif  // DISTSIM_SIM_REPORT_PROGRESS_H_
