// The launcher's record keeping: the step and evaluation records the coordinator gathered become,
// as they arrive, steps.csv rows, progress lines, the run's aggregate and the trace tracks.
// Not thread-safe: the launcher's main thread feeds it.
#ifndef DISTSIM_SIM_NODE_RUN_RECORDER_H_
#define DISTSIM_SIM_NODE_RUN_RECORDER_H_

#include <cstdint>
#include <cstdio>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "distsim/cluster.pb.h"
#include "sim/base/clock.h"
#include "sim/node/coordinator.h"
#include "sim/node/modelled.h"
#include "sim/node/run_aggregate.h"
#include "sim/node/run_plan.h"
#include "sim/report/progress.h"
#include "sim/report/steps_csv.h"
#include "sim/report/trace.h"

namespace distsim::node {

// The width of the terminal `out` is, for report::Progress; 0 when `out` is no terminal.
size_t TerminalColumns(std::FILE* out);

class RunRecorder {
 public:
  // `plan`, `facts` and `clock` (the run's clock) must outlive the recorder. `progress` null:
  // silent.
  RunRecorder(const RunPlan& plan, const ModelFacts& facts, report::StepsCsvWriter csv,
              std::FILE* progress, uint64_t progress_every_steps, const Stopwatch* clock);

  // Takes the records that arrived since the last call: each step gets its modelled compute,
  // goes into the aggregate, its worker's track and steps.csv (the chief's row is held until its
  // evaluation, if any, arrives); then a progress line, when one is due.
  void Drain(Coordinator& coordinator);

  // An evaluation made outside the workers (the coordinator's, for a dead chief).
  void AddEval(const EvalRecord& eval);

  // Writes the held chief row, ends the progress line and closes steps.csv.
  absl::Status Close();

  // The first failed write of steps.csv (exit 74 naming it); OK until then.
  const absl::Status& status() const { return csv_.status(); }

  RunAggregate& aggregate() { return aggregate_; }
  // The launch whose steps arrive from now on (steps.csv's `attempt` column).
  void set_attempt(uint32_t attempt) { attempt_ = attempt; }
  std::vector<report::TraceTrack>& tracks() { return tracks_; }

 private:
  void AddStep(uint32_t rank, StepRecord record);
  void ShowProgress();

  const RunPlan& plan_;
  const ModelFacts& facts_;
  const Stopwatch* clock_;
  report::StepsCsvWriter csv_;
  report::Progress progress_;
  uint32_t attempt_ = 0;
  RunAggregate aggregate_;
  std::vector<report::TraceTrack> tracks_;
  std::optional<report::StepRow> chief_row_;
  // The progress line's averaging window: the chief's steps since the last line.
  double window_loss_ = 0, window_accuracy_ = 0, window_n_ = 0;
  uint64_t window_start_samples_ = 0;
  Stopwatch window_clock_;
};

}  // namespace distsim::node

#endif  // DISTSIM_SIM_NODE_RUN_RECORDER_H_
