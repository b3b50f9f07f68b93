// trace.json beyond the workers' steps: server shards' spans on a thread per worker, flow arrows
// from a worker's push to the applies it fed, counter tracks, the modelled cluster's lanes, and
// slices that never overlap their siblings whatever the records say.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sim/report/trace.h"
#include "tests/report/trace_events.h"

namespace distsim::report {
namespace {

using distsim::testing::EventArg;
using distsim::testing::ParseTrace;
using distsim::testing::SelectEvents;
using distsim::testing::TraceEvent;

// A PS worker's step n, 10 ms long and ending at n x 10 ms: data 1, pull 2, compute 4, push 3.
StepRecord WorkerStep(uint64_t n) {
  StepRecord r;
  r.set_step(n);
  r.set_end_s(0.010 * n);
  r.set_step_s(0.010);
  r.set_data_s(0.001);
  r.set_pull_s(0.002);
  r.set_compute_s(0.004);
  r.set_push_s(0.003);
  r.set_loss(1.0f / n);
  r.set_staleness(n % 2);
  r.set_bytes_sent(100 * n);
  r.set_bytes_received(200 * n);
  return r;
}

ServerSpan Span(ServerSpan::Kind kind, uint32_t worker, uint64_t step, double start_s,
                double end_s) {
  ServerSpan s;
  s.set_kind(kind);
  s.set_worker(worker);
  s.set_step(step);
  s.set_start_s(start_s);
  s.set_end_s(end_s);
  s.set_version(step);
  s.set_staleness(1);
  return s;
}

// Two workers of 4 steps, one server that applied every push of worker 0 and the even steps of
// worker 1 (as if sampled), and parked one pull of worker 1.
std::vector<TraceTrack> PsRun() {
  std::vector<TraceTrack> tracks(3);
  tracks[0].name = "server 0";
  tracks[0].pid = 50;
  for (uint32_t w = 0; w < 2; ++w) {
    tracks[1 + w].name = "worker " + std::to_string(w);
    tracks[1 + w].pid = 60 + w;
    tracks[1 + w].worker = static_cast<int>(w);
    for (uint64_t n = 1; n <= 4; ++n) {
      tracks[1 + w].steps.push_back(WorkerStep(n));
      if (w == 1 && n % 2 == 1) continue;
      // The push runs from 7 to 10 ms of the step; the apply from 8 to 9.5 ms.
      const double step_start = 0.010 * (n - 1);
      tracks[0].server_spans.push_back(
          Span(ServerSpan::APPLY, w, n, step_start + 0.008, step_start + 0.0095));
    }
  }
  tracks[0].server_spans.push_back(Span(ServerSpan::PARKED_PULL, 1, 3, 0.0201, 0.0229));
  tracks[1].evals = {{0.0405, 0.0005, 4, 0.75}};
  return tracks;
}

TEST(TraceFlowTest, ServerSpansLieOnAThreadPerWorker) {
  const std::vector<TraceEvent> events = ParseTrace(ChromeTraceJson(PsRun()));
  const std::vector<TraceEvent> applies = SelectEvents(events, "X", "apply");
  ASSERT_EQ(applies.size(), 6u);
  std::map<int64_t, std::set<double>> workers_by_tid;
  for (const TraceEvent& a : applies) {
    EXPECT_EQ(a.pid, 50);
    EXPECT_EQ(a.cat, "server");
    EXPECT_NEAR(a.dur, 1500, 1.0);
    EXPECT_EQ(EventArg(a, "staleness"), 1);
    workers_by_tid[a.tid].insert(EventArg(a, "worker"));
  }
  ASSERT_EQ(workers_by_tid.size(), 2u) << "one thread per worker";
  for (const auto& [tid, workers] : workers_by_tid) EXPECT_EQ(workers.size(), 1u);
  const std::vector<TraceEvent> parked = SelectEvents(events, "X", "parked pull");
  ASSERT_EQ(parked.size(), 1u);
  EXPECT_EQ(EventArg(parked[0], "worker"), 1);
  EXPECT_EQ(EventArg(parked[0], "step"), 3);
  EXPECT_NEAR(parked[0].ts, 20100, 1.0);
  EXPECT_NEAR(parked[0].dur, 2800, 1.0);
  int named = 0;
  for (const TraceEvent& t : SelectEvents(events, "M", "thread_name")) {
    if (t.pid == 50 && t.args.fields().at("name").string_value().rfind("worker ", 0) == 0) ++named;
  }
  EXPECT_EQ(named, 2);
}

// An arrow for each apply whose push was drawn: from inside the worker's push part of that step
// to inside the apply span.
TEST(TraceFlowTest, FlowsRunFromEachPushToTheApplyItFed) {
  const std::vector<TraceEvent> events = ParseTrace(ChromeTraceJson(PsRun()));
  EXPECT_EQ(distsim::testing::FlowProblems(events), std::vector<std::string>{});
  const std::vector<TraceEvent> starts = SelectEvents(events, "s", "flow");
  const std::vector<TraceEvent> finishes = SelectEvents(events, "f", "flow");
  ASSERT_EQ(starts.size(), 6u);
  ASSERT_EQ(finishes.size(), 6u);
  const std::vector<TraceEvent> pushes = SelectEvents(events, "X", "push");
  for (size_t i = 0; i < starts.size(); ++i) {
    EXPECT_EQ(starts[i].bp, "e");
    EXPECT_EQ(finishes[i].bp, "e");
    EXPECT_EQ(starts[i].id, finishes[i].id);
    EXPECT_EQ(finishes[i].pid, 50);
    // The start lies strictly inside a push part of its worker's process.
    const bool in_push = std::any_of(pushes.begin(), pushes.end(), [&](const TraceEvent& p) {
      return p.pid == starts[i].pid && p.ts < starts[i].ts && starts[i].ts < p.ts + p.dur;
    });
    EXPECT_TRUE(in_push) << "flow " << starts[i].id;
  }
  // Worker 1's odd steps have no apply, so no arrow: 4 from worker 0, 2 from worker 1.
  int from_worker1 = 0;
  for (const TraceEvent& s : starts) from_worker1 += s.pid == 61;
  EXPECT_EQ(from_worker1, 2);
}

TEST(TraceFlowTest, CountersFollowTheStepsAndEvaluations) {
  const std::vector<TraceTrack> tracks = PsRun();
  const std::vector<TraceEvent> events = ParseTrace(ChromeTraceJson(tracks));
  const std::vector<TraceEvent> loss = SelectEvents(events, "C", "loss");
  ASSERT_EQ(loss.size(), 8u);
  for (const TraceEvent& c : loss) {
    const double step = std::round(c.ts / 10000);  // each sample sits at its step's end
    EXPECT_NEAR(c.ts, step * 10000, 1.0);
    EXPECT_NEAR(EventArg(c, "loss"), 1.0 / step, 1e-6);
  }
  const std::vector<TraceEvent> staleness = SelectEvents(events, "C", "staleness");
  ASSERT_EQ(staleness.size(), 8u);
  EXPECT_EQ(EventArg(staleness[0], "staleness"), 1);
  const std::vector<TraceEvent> bytes = SelectEvents(events, "C", "bytes per step");
  ASSERT_EQ(bytes.size(), 8u);
  EXPECT_EQ(EventArg(bytes[1], "sent"), 200);
  EXPECT_EQ(EventArg(bytes[1], "received"), 400);
  const std::vector<TraceEvent> accuracy = SelectEvents(events, "C", "test accuracy");
  ASSERT_EQ(accuracy.size(), 1u);
  EXPECT_EQ(accuracy[0].pid, 60);
  EXPECT_DOUBLE_EQ(EventArg(accuracy[0], "test_accuracy"), 0.75);
}

// Records whose recorded starts reach into the step before (a step's length measured apart from
// its end), and times whose microseconds round towards each other: the slices are cut at the next
// sibling's start, so nothing overlaps, and each still ends where it can.
TEST(TraceFlowTest, SiblingsNeverOverlap) {
  std::vector<TraceTrack> tracks(2);
  tracks[0].name = "worker 0";
  tracks[0].pid = 1;
  for (uint64_t n = 1; n <= 50; ++n) {
    StepRecord r = WorkerStep(n);
    r.set_end_s(0.0100004 * n);
    r.set_step_s(0.0101 + 1e-7 * n);  // longer than the spacing of the ends
    tracks[0].steps.push_back(r);
  }
  tracks[1].name = "server 0";
  tracks[1].pid = 2;
  for (uint64_t n = 1; n <= 20; ++n) {
    // Two spans of worker 0 that overlap by 0.2 us, by a whole microsecond once rounded.
    tracks[1].server_spans.push_back(
        Span(ServerSpan::APPLY, 0, n, 0.001 * n + 0.0000006, 0.001 * n + 0.0005006));
    tracks[1].server_spans.push_back(
        Span(ServerSpan::PARKED_PULL, 0, n, 0.001 * n + 0.0005004, 0.001 * n + 0.0009));
  }
  const std::vector<TraceEvent> events = ParseTrace(ChromeTraceJson(tracks));
  EXPECT_EQ(distsim::testing::SiblingOverlaps(events), std::vector<std::string>{});
  for (const TraceEvent& e : events) {
    if (e.ph != "X") continue;
    EXPECT_EQ(e.ts, std::floor(e.ts)) << "whole microseconds";
    EXPECT_EQ(e.dur, std::floor(e.dur)) << "whole microseconds";
  }
  EXPECT_EQ(SelectEvents(events, "X", "step").size(), 50u);
  EXPECT_EQ(SelectEvents(events, "X", "apply").size(), 20u);
}

// The modelled cluster: one process, a thread per lane, each lane's steps drawn like a worker's
// (parts and args), without counters of its own.
TEST(TraceFlowTest, LanesAreThreadsOfOneProcess) {
  std::vector<TraceTrack> tracks(1);
  tracks[0].name = "modelled cluster (CPU_TIME clock)";
  tracks[0].pid = 7;
  for (int w = 0; w < 3; ++w) {
    TraceLane lane{"worker " + std::to_string(w), {}};
    for (uint64_t n = 1; n <= 5; ++n) lane.steps.push_back(WorkerStep(n));
    tracks[0].lanes.push_back(lane);
  }
  const std::vector<TraceEvent> events = ParseTrace(ChromeTraceJson(tracks));
  EXPECT_EQ(distsim::testing::ProcessNameOf(events, 7), "modelled cluster (CPU_TIME clock)");
  std::map<int64_t, int> steps_per_tid;
  for (const TraceEvent& e : SelectEvents(events, "X", "step")) {
    EXPECT_EQ(e.pid, 7);
    ++steps_per_tid[e.tid];
    EXPECT_GT(EventArg(e, "loss"), 0);
    EXPECT_GT(EventArg(e, "bytes_sent"), 0);
  }
  ASSERT_EQ(steps_per_tid.size(), 3u);
  for (const auto& [tid, count] : steps_per_tid) EXPECT_EQ(count, 5);
  EXPECT_EQ(SelectEvents(events, "X", "push").size(), 15u);
  EXPECT_TRUE(SelectEvents(events, "C", "loss").empty());
  EXPECT_TRUE(SelectEvents(events, "s", "flow").empty()) << "lanes start no flows";
}

}  // namespace
}  // namespace distsim::report
