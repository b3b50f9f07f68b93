// trace.json: a run in the Chrome trace event format, for chrome://tracing and Perfetto
// (https://ui.perfetto.dev). One process per track: the coordinator, each parameter-server shard,
// each worker, and the modelled cluster (a thread per worker, on the modelled clock).
//
// A worker's main thread holds one "step N" span per training step with the step's parts nested
// inside it, laid out one after another from the step's start in the order a worker does them:
//   data, wait, pull, compute, push, allreduce, update        (parts of zero length are left out)
// Waiting for other workers is drawn as the first part of the pull (for SSP it happens inside the
// push; the record does not say which, so it is drawn in one place). Evaluations are "eval" spans
// on a second thread of the same process ("eval"), so that a caller's estimate of their length can
// never break the nesting of the step spans. Each step also gives samples of the process's counter
// tracks "loss", "staleness" and "bytes per step" (sent, received) at its end; each evaluation one
// of "test accuracy".
//
// A server shard has a thread per worker with its "apply" spans (the worker's push, arrival to
// finish) and "parked pull" spans (a SYNC/SSP pull held until it could be answered), as the
// shard sampled them (ServerSpan). A flow arrow ("push to apply") runs from a worker's push part
// to each apply span of the same worker and step.
//
// Times are whole microseconds, each edge rounded once. Slices on one thread never overlap: they
// are sorted and each is cut at its next sibling's start; a part that would reach past its step's
// end (rounding, or a record whose parts add up to more than the step) is cut at the step's end,
// so parts never overlap each other or leave their step.
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

// A span with no record behind it (the coordinator's "run"), drawn on the main thread.
struct TraceSpan {
  std::string name;
  double start_s = 0;  // seconds since the run's clock started
  double end_s = 0;
};

// One more thread of a process, its steps drawn as the main thread's (without counters).
struct TraceLane {
  std::string name;
  std::vector<StepRecord> steps;
};

// One process of the run.
struct TraceTrack {
  std::string name;  // "worker 0", "server 1", "coordinator", "modelled cluster (...)"
  int64_t pid = 0;   // the process's id; tracks should have distinct pids (see ChromeTraceJson)
  std::vector<StepRecord> steps;  // the main thread's
  std::vector<TraceEval> evals;
  std::vector<TraceSpan> spans;   // the main thread's, beside the steps
  // A measured worker's rank: each push part of its steps starts a flow to every apply span of
  // the same worker and step on the server tracks. -1: no flows from this track.
  int worker = -1;
  // A parameter-server shard's spans, on a thread per worker (tid 10 + lanes + worker).
  std::vector<ServerSpan> server_spans;
  std::vector<TraceLane> lanes;  // tid 10 + i
};

// The trace as one line of JSON: {"traceEvents":[...],"displayTimeUnit":"ms"}. Deterministic: the
// same tracks give the same bytes. Events come in the order of `tracks`, then of their steps and
// evaluations; processes are sorted in the viewer in the order of `tracks`.
//   - metadata: process_name (the track's name), process_sort_index, thread_name ("main" thread
//     named after the track; "eval" only for tracks with evaluations; each lane's name; "worker
//     w" for a server's threads).
//   - "step N" (cat "step"): ts = end_s - step_s, dur = step_s; args loss, batch_accuracy,
//     bytes_sent, bytes_received, staleness.
//   - parts (cat "part"), as above; spans (cat "span").
//   - "eval" (cat "eval"): ts = end_s - duration_s, dur = duration_s; args step, test_accuracy.
//   - "apply" and "parked pull" (cat "server"): args worker, step, version (apply: staleness).
//   - counters ("C") of the main thread's steps and the evaluations, as above.
//   - flows ("s" then "f", cat "flow", one id each, "bp":"e"), after every track's events.
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
