// Terminal progress for a run. On a terminal: one line redrawn in place about 4 times a second,
// led by a bar. Elsewhere (a log, CI): a plain line every `every_steps` steps. Evaluations always
// get a line. Writes to the FILE* given (stderr in the CLI), so stdout stays clean for programs.
//
// The ETA is the steps left times a moving average of the seconds per step, measured between
// drawn lines once the warm-up is over (the first steps, slowed by page faults and connects,
// made a whole-run average promise too much): "eta ?" until two lines past the warm-up exist.
#ifndef DISTSIM_SIM_REPORT_PROGRESS_H_
#define DISTSIM_SIM_REPORT_PROGRESS_H_

#include <cstddef>
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
  // columns: the terminal's width (its caller asks the terminal): a line redrawn in place is cut
  // to it, since a wrapped line cannot be redrawn; 0: never cut.
  Progress(std::FILE* out, bool enabled, uint64_t every_steps, uint64_t total_steps,
           size_t columns = 0);

  // Called after every step; cheap when nothing is printed. Returns whether a line was drawn
  // (the caller then starts a new averaging window).
  bool Step(const ProgressState& state);
  // A line for an evaluation point, kept on screen.
  void Eval(uint64_t step, double test_accuracy, double test_loss, double elapsed_s);
  // Ends the in-place line, if any.
  void Finish();

  static std::string FormatDuration(double seconds);  // "1:02:03", "4:05", "0:07"

  // The estimate the next line would show, in seconds (NaN while unknown); for tests.
  double EtaSeconds(const ProgressState& state) const;
  // "[#######.........]": `fraction` of `width` cells filled.
  static std::string Bar(double fraction, int width);

 private:
  void ClearLine();
  void UpdateRate(const ProgressState& state);
  std::FILE* out_;
  bool enabled_;
  bool tty_;
  size_t columns_;
  uint64_t every_steps_;
  uint64_t total_steps_;
  Stopwatch since_draw_;
  bool line_open_ = false;
  uint64_t drawn_step_ = 0;  // the step of the last line drawn
  uint64_t warmup_steps_;
  uint64_t rate_step_ = 0;       // the step of the last line past the warm-up (0: none yet)
  double rate_elapsed_s_ = 0;    // its elapsed time
  double seconds_per_step_ = 0;  // moving average; 0 until measured
};

}  // namespace distsim::report

#endif  // DISTSIM_SIM_REPORT_PROGRESS_H_
