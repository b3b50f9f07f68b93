// trace.json: a run's steps and evaluations in the Chrome trace event format, for chrome://tracing
// and Perfetto (https://ui.perfetto.dev). One process per track (a worker, a server, the
// launcher); on its main thread one "step N" span per training step with the step's parts nested
// inside it, laid out one after another from the step's start in the order a worker does them:
//   data, wait, pull, compute, push, allreduce, update        (parts of zero length are left out)
// Waiting for other workers is drawn as the first part of the pull (for SSP it happens inside the
// push; the record does not say which, so it is drawn in one place). Evaluations are "eval" spans
// on a second thread of the same process ("eval"), so that a caller's estimate of their length can
// never break the nesting of the step spans.
//
// Times are microseconds with at most three decimals (nanosecond resolution); a part that would
// reach past its step's end (rounding, or a record whose parts add up to more than the step) is
// cut at the step's end, so parts never overlap each other or leave their step.
#ifndef DISTSIM_SIM_REPORT_TRACE_H_
#define DISTSIM_SIM_REPORT_TRACE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "distsim/cluster.pb.h"

namespace distsim::report {

// One test-set evaluation. The EvalRecord does not carry its duration; the caller supplies it.
struct TraceEval {
  double end_s = 0;       // when it ended, seconds since the run's clock started
  double duration_s = 0;  // how long it took
  uint64_t step = 0;      // the evaluating worker's step
  double test_accuracy = 0;
};

// One process of the run.
struct TraceTrack {
  std::string name;  // "worker 0", "server 1", "launcher"
  int64_t pid = 0;   // the process's id; tracks should have distinct pids (see ChromeTraceJson)
  std::vector<StepRecord> steps;
  std::vector<TraceEval> evals;
};

// The trace as one line of JSON: {"traceEvents":[...],"displayTimeUnit":"ms"}. Deterministic: the
// same tracks give the same bytes. Events come in the order of `tracks`, then of their steps and
// evaluations; processes are sorted in the viewer in the order of `tracks`.
//   - metadata: process_name (the track's name), process_sort_index, thread_name ("main" thread
//     named after the track; "eval" thread only for tracks with evaluations).
//   - "step N" (cat "step"): ts = end_s - step_s, dur = step_s; args loss, batch_accuracy,
//     bytes_sent, bytes_received, staleness.
//   - parts (cat "part"), as above.
//   - "eval" (cat "eval"): ts = end_s - duration_s, dur = duration_s; args step, test_accuracy.
// A track whose pid is already used by an earlier track is given a fresh pid (one above the
// largest pid in use), so that two tracks never merge into one process in the viewer. Negative or
// non-finite durations count as zero; a step or evaluation whose end is not finite is left out;
// non-finite numbers in args are written as null. Names are escaped (and invalid UTF-8 replaced
// by U+FFFD), so the output is always valid JSON.
std::string ChromeTraceJson(const std::vector<TraceTrack>& tracks);

// Writes ChromeTraceJson(tracks) to `path` atomically (see WriteFileAtomic).
absl::Status WriteChromeTrace(const std::vector<TraceTrack>& tracks, const std::string& path);

}  // namespace distsim::report

#endif  // DISTSIM_SIM_REPORT_TRACE_H_
