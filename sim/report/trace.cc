#include "sim/report/trace.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <map>
#include <set>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "sim/report/result_io.h"
#include "sim/report/trace_writer.h"

namespace distsim::report {
namespace {

constexpr int64_t kMainTid = 1;
constexpr int64_t kEvalTid = 2;
constexpr int64_t kLaneTid = 10;

// A point inside a slice, where a flow arrow starts or ends.
struct FlowPoint {
  int64_t pid = 0;
  int64_t tid = 0;
  int64_t ts = 0;
};
using PushKey = std::pair<uint32_t, uint64_t>;  // worker, step

// The ends of the flow arrows, gathered while the tracks are written.
struct Flows {
  std::map<PushKey, FlowPoint> pushes;
  std::vector<std::pair<PushKey, FlowPoint>> applies;
};

// The thread a track draws: its pid and tid, and the rank whose pushes start flows (-1: none).
struct Thread {
  int64_t pid = 0;
  int64_t tid = 0;
  int worker = -1;
};

double PositiveOrZero(double seconds) {
  return std::isfinite(seconds) && seconds > 0 ? seconds : 0;
}

// The step's parts, one after another from its start; each boundary is the step's start plus the
// rounded sum of the parts before it, so rounding never accumulates, and none passes `end`.
void AppendParts(TraceWriter& out, const Thread& thread, const StepRecord& step, int64_t start,
                 int64_t end, Flows* flows) {
  struct Part {
    std::string_view name;
    double seconds;
  };
  const Part parts[] = {
      {"data", step.data_s()},       {"wait", step.wait_s()}, {"pull", step.pull_s()},
      {"compute", step.compute_s()}, {"push", step.push_s()}, {"allreduce", step.reduce_s()},
      {"update", step.update_s()},
  };
  double sum = 0;
  int64_t cursor = start;
  for (const Part& part : parts) {
    const double seconds = PositiveOrZero(part.seconds);
    if (seconds == 0) continue;
    sum += seconds;
    const int64_t next = std::min(end, start + Micros(sum));
    if (next <= cursor) continue;
    out.OpenSpan(thread.pid, thread.tid, "part", part.name, cursor, next);
    out.json().Char('}');
    if (part.name == "push" && thread.worker >= 0) {
      flows->pushes[{static_cast<uint32_t>(thread.worker), step.step()}] = {
          thread.pid, thread.tid, cursor + (next - cursor) / 2};
    }
    cursor = next;
  }
}

void AppendStep(TraceWriter& out, const Thread& thread, const StepRecord& step, const Slice& s,
                Flows* flows) {
  out.OpenSpan(thread.pid, thread.tid, "step", absl::StrCat("step ", step.step()), s.start,
               s.end);
  JsonOut& json = out.json();
  json.Raw(",\"args\":{\"loss\":");
  json.Number(step.loss());
  json.Raw(",\"batch_accuracy\":");
  json.Number(step.batch_accuracy());
  json.Raw(",\"bytes_sent\":");
  json.Uint(step.bytes_sent());
  json.Raw(",\"bytes_received\":");
  json.Uint(step.bytes_received());
  json.Raw(",\"staleness\":");
  json.Uint(step.staleness());
  json.Raw("}}");
  AppendParts(out, thread, step, s.start, s.end, flows);
}

void AppendCounters(TraceWriter& out, int64_t pid, const StepRecord& step, int64_t ts) {
  out.Counter(pid, "loss", ts, "loss", step.loss());
  out.Counter(pid, "staleness", ts, "staleness", static_cast<double>(step.staleness()));
  out.Counter(pid, "bytes per step", ts, "sent", static_cast<double>(step.bytes_sent()),
              "received", static_cast<double>(step.bytes_received()));
}

// A thread's steps and named spans, laid out as siblings; counters when `counters`.
void AppendThread(TraceWriter& out, const Thread& thread, const std::vector<StepRecord>& steps,
                  const std::vector<TraceSpan>& spans, bool counters, Flows* flows) {
  std::vector<Slice> slices;
  slices.reserve(steps.size() + spans.size());
  for (size_t i = 0; i < steps.size(); ++i) {
    const StepRecord& step = steps[i];
    if (!std::isfinite(step.end_s())) continue;
    const int64_t end = Micros(step.end_s());
    slices.push_back({Micros(step.end_s() - PositiveOrZero(step.step_s())), end, i});
  }
  for (size_t i = 0; i < spans.size(); ++i) {
    if (!std::isfinite(spans[i].start_s) || !std::isfinite(spans[i].end_s)) continue;
    slices.push_back({Micros(spans[i].start_s), Micros(spans[i].end_s), steps.size() + i});
  }
  LayOutSiblings(&slices);
  for (const Slice& s : slices) {
    if (s.index >= steps.size()) {
      out.OpenSpan(thread.pid, thread.tid, "span", spans[s.index - steps.size()].name, s.start,
                   s.end);
      out.json().Char('}');
      continue;
    }
    AppendStep(out, thread, steps[s.index], s, flows);
    if (counters) AppendCounters(out, thread.pid, steps[s.index], s.end);
  }
}

void AppendEvals(TraceWriter& out, int64_t pid, const std::vector<TraceEval>& evals) {
  std::vector<Slice> slices;
  for (size_t i = 0; i < evals.size(); ++i) {
    if (!std::isfinite(evals[i].end_s)) continue;
    const int64_t end = Micros(evals[i].end_s);
    slices.push_back({Micros(evals[i].end_s - PositiveOrZero(evals[i].duration_s)), end, i});
  }
  LayOutSiblings(&slices);
  for (const Slice& s : slices) {
    const TraceEval& eval = evals[s.index];
    out.OpenSpan(pid, kEvalTid, "eval", "eval", s.start, s.end);
    out.json().Raw(",\"args\":{\"step\":");
    out.json().Uint(eval.step);
    out.json().Raw(",\"test_accuracy\":");
    out.json().Number(eval.test_accuracy);
    out.json().Raw("}}");
    out.Counter(pid, "test accuracy", s.end, "test_accuracy", eval.test_accuracy);
  }
}

void AppendServerSpan(TraceWriter& out, const Thread& thread, const ServerSpan& span,
                      const Slice& s, Flows* flows) {
  const bool apply = span.kind() == ServerSpan::APPLY;
  out.OpenSpan(thread.pid, thread.tid, "server", apply ? "apply" : "parked pull", s.start, s.end);
  JsonOut& json = out.json();
  json.Raw(",\"args\":{\"worker\":");
  json.Uint(span.worker());
  json.Raw(",\"step\":");
  json.Uint(span.step());
  json.Raw(",\"version\":");
  json.Uint(span.version());
  if (apply) {
    json.Raw(",\"staleness\":");
    json.Uint(span.staleness());
    flows->applies.push_back(
        {{span.worker(), span.step()}, {thread.pid, thread.tid, s.start + (s.end - s.start) / 2}});
  }
  json.Raw("}}");
}

// A server's spans on a thread per worker (named when the worker has any).
void AppendServerSpans(TraceWriter& out, int64_t pid, int64_t first_tid,
                       const std::vector<ServerSpan>& spans, Flows* flows) {
  std::map<uint32_t, std::vector<Slice>> by_worker;
  for (size_t i = 0; i < spans.size(); ++i) {
    const ServerSpan& span = spans[i];
    if (!std::isfinite(span.start_s()) || !std::isfinite(span.end_s())) continue;
    by_worker[span.worker()].push_back({Micros(span.start_s()), Micros(span.end_s()), i});
  }
  for (auto& [worker, slices] : by_worker) {
    const Thread thread{pid, first_tid + worker, -1};
    out.ThreadName(pid, thread.tid, absl::StrCat("worker ", worker));
    LayOutSiblings(&slices);
    for (const Slice& s : slices) AppendServerSpan(out, thread, spans[s.index], s, flows);
  }
}

void AppendTrack(TraceWriter& out, const TraceTrack& track, int64_t pid, int64_t sort_index,
                 Flows* flows) {
  out.ProcessName(pid, track.name, sort_index);
  out.ThreadName(pid, kMainTid, track.name);
  if (!track.evals.empty()) out.ThreadName(pid, kEvalTid, "eval");
  AppendThread(out, {pid, kMainTid, track.worker}, track.steps, track.spans, true, flows);
  AppendEvals(out, pid, track.evals);
  for (size_t i = 0; i < track.lanes.size(); ++i) {
    const int64_t tid = kLaneTid + static_cast<int64_t>(i);
    out.ThreadName(pid, tid, track.lanes[i].name);
    AppendThread(out, {pid, tid, -1}, track.lanes[i].steps, {}, false, flows);
  }
  const int64_t server_tid = kLaneTid + static_cast<int64_t>(track.lanes.size());
  AppendServerSpans(out, pid, server_tid, track.server_spans, flows);
}

// One arrow per apply whose push was drawn, numbered in the order of the applies.
void AppendFlows(TraceWriter& out, const Flows& flows) {
  uint64_t id = 0;
  for (const auto& [key, apply] : flows.applies) {
    const auto push = flows.pushes.find(key);
    if (push == flows.pushes.end()) continue;
    ++id;
    out.Flow("s", id, push->second.pid, push->second.tid, push->second.ts);
    out.Flow("f", id, apply.pid, apply.tid, apply.ts);
  }
}

// The pid each track is shown under: its own, unless an earlier track already has it.
std::vector<int64_t> DistinctPids(const std::vector<TraceTrack>& tracks) {
  int64_t next = 0;
  for (const TraceTrack& track : tracks) next = std::max(next, track.pid);
  std::set<int64_t> used;
  std::vector<int64_t> pids;
  pids.reserve(tracks.size());
  for (const TraceTrack& track : tracks) {
    int64_t pid = track.pid;
    if (!used.insert(pid).second) {
      pid = ++next;
      used.insert(pid);
    }
    pids.push_back(pid);
  }
  return pids;
}

}  // namespace

std::string ChromeTraceJson(const std::vector<TraceTrack>& tracks) {
  size_t events = 0;
  for (const TraceTrack& track : tracks) {
    events += 11 * track.steps.size() + 2 * track.evals.size() + 2 * track.server_spans.size();
    for (const TraceLane& lane : track.lanes) events += 8 * lane.steps.size();
  }
  std::string text;
  text.reserve(256 + 100 * events);
  TraceWriter out(&text);
  out.json().Raw("{\"traceEvents\":[");
  const std::vector<int64_t> pids = DistinctPids(tracks);
  Flows flows;
  for (size_t i = 0; i < tracks.size(); ++i) {
    AppendTrack(out, tracks[i], pids[i], static_cast<int64_t>(i), &flows);
  }
  AppendFlows(out, flows);
  out.json().Raw("],\"displayTimeUnit\":\"ms\"}\n");
  return text;
}

absl::Status WriteChromeTrace(const std::vector<TraceTrack>& tracks, const std::string& path) {
  return WriteFileAtomic(path, ChromeTraceJson(tracks));
}

}  // namespace distsim::report
