#include "sim/report/trace.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "google/protobuf/struct.pb.h"
#include "gtest/gtest.h"
#include "tests/report/trace_events.h"

namespace distsim::report {
namespace {

using google::protobuf::Value;
using Event = distsim::testing::TraceEvent;

// Times in the trace are whole microseconds, each edge rounded to nearest.
constexpr double kMicrosTolerance = 1.0;

std::vector<Event> Parse(const std::string& json) { return distsim::testing::ParseTrace(json); }

std::vector<Event> Select(const std::vector<Event>& events, const std::string& ph,
                          const std::string& name_or_cat) {
  return distsim::testing::SelectEvents(events, ph, name_or_cat);
}

double Arg(const Event& e, const std::string& key) { return distsim::testing::EventArg(e, key); }

StepRecord Step(uint64_t n, double end_s, double step_s) {
  StepRecord r;
  r.set_step(n);
  r.set_end_s(end_s);
  r.set_step_s(step_s);
  return r;
}

// A parameter-server worker: every part but allreduce and update.
StepRecord PsStep(uint64_t n, double end_s) {
  StepRecord r = Step(n, end_s, 0.0123456789);
  r.set_data_s(0.0004321);
  r.set_wait_s(0.0017);
  r.set_pull_s(0.0021);
  r.set_compute_s(0.0061234);
  r.set_push_s(0.0019);
  r.set_loss(0.25f + 0.01f * n);
  r.set_batch_accuracy(0.5f);
  r.set_bytes_sent(1000 + n);
  r.set_bytes_received(2000 + n);
  r.set_staleness(n % 3);
  return r;
}

// An allreduce worker: data, compute, allreduce, update.
StepRecord RingStep(uint64_t n, double end_s) {
  StepRecord r = Step(n, end_s, 0.02);
  r.set_data_s(0.001);
  r.set_compute_s(0.012);
  r.set_reduce_s(0.005);
  r.set_update_s(0.0015);
  return r;
}

struct ExpectedPart {
  std::string name;
  double seconds;
};

std::vector<ExpectedPart> NonZeroParts(const StepRecord& r) {
  const ExpectedPart all[] = {{"data", r.data_s()},    {"wait", r.wait_s()},
                              {"pull", r.pull_s()},    {"compute", r.compute_s()},
                              {"push", r.push_s()},    {"allreduce", r.reduce_s()},
                              {"update", r.update_s()}};
  std::vector<ExpectedPart> out;
  for (const ExpectedPart& p : all) {
    if (p.seconds > 0) out.push_back(p);
  }
  return out;
}

// Checks every step of `track` (shown under `pid`) against its record: the step span, its args,
// and its parts, which must follow one another from the step's start without overlapping, stay
// inside the step and last as long as the record says.
void CheckSteps(const std::vector<Event>& events, const TraceTrack& track, int64_t pid) {
  std::vector<Event> parts;
  for (const Event& e : events) {
    if (e.ph == "X" && e.cat == "part" && e.pid == pid) parts.push_back(e);
  }
  size_t parts_seen = 0;
  for (const StepRecord& r : track.steps) {
    const std::string name = "step " + std::to_string(r.step());
    std::vector<Event> spans;
    for (const Event& e : Select(events, "X", name)) {
      if (e.pid == pid && e.cat == "step") spans.push_back(e);
    }
    ASSERT_EQ(spans.size(), 1u) << name;
    const Event& step = spans[0];
    EXPECT_NEAR(step.ts, (r.end_s() - r.step_s()) * 1e6, kMicrosTolerance) << name;
    EXPECT_NEAR(step.dur, r.step_s() * 1e6, kMicrosTolerance) << name;
    EXPECT_NEAR(Arg(step, "loss"), r.loss(), 1e-6);
    EXPECT_NEAR(Arg(step, "batch_accuracy"), r.batch_accuracy(), 1e-6);
    EXPECT_EQ(Arg(step, "bytes_sent"), static_cast<double>(r.bytes_sent()));
    EXPECT_EQ(Arg(step, "bytes_received"), static_cast<double>(r.bytes_received()));
    EXPECT_EQ(Arg(step, "staleness"), static_cast<double>(r.staleness()));

    std::vector<Event> inside;
    for (const Event& p : parts) {
      if (p.tid == step.tid && p.ts >= step.ts - 1e-9 && p.ts < step.ts + step.dur) {
        inside.push_back(p);
      }
    }
    std::sort(inside.begin(), inside.end(),
              [](const Event& a, const Event& b) { return a.ts < b.ts; });
    const std::vector<ExpectedPart> expected = NonZeroParts(r);
    ASSERT_EQ(inside.size(), expected.size()) << name;
    parts_seen += inside.size();
    double cursor = step.ts;
    for (size_t i = 0; i < expected.size(); ++i) {
      EXPECT_EQ(inside[i].name, expected[i].name) << name;
      EXPECT_NEAR(inside[i].ts, cursor, kMicrosTolerance) << name << " " << inside[i].name;
      EXPECT_GE(inside[i].ts, i == 0 ? step.ts : inside[i - 1].ts + inside[i - 1].dur - 1e-9)
          << "overlap in " << name;
      EXPECT_NEAR(inside[i].dur, expected[i].seconds * 1e6, kMicrosTolerance)
          << name << " " << inside[i].name;
      cursor = inside[i].ts + inside[i].dur;
    }
    EXPECT_LE(cursor, step.ts + step.dur + 1e-9) << name << " parts leave the step";
  }
  EXPECT_EQ(parts_seen, parts.size()) << "parts outside every step";
}

TEST(ChromeTraceTest, EmptyTrackListIsAValidTrace) {
  const std::string json = ChromeTraceJson({});
  EXPECT_TRUE(Parse(json).empty());
}

TEST(ChromeTraceTest, OneProcessNamePerTrack) {
  std::vector<TraceTrack> tracks(3);
  tracks[0].name = "worker 0";
  tracks[0].pid = 101;
  tracks[1].name = "worker 1";
  tracks[1].pid = 102;
  tracks[2].name = "server 0";
  tracks[2].pid = 99;
  const std::vector<Event> events = Parse(ChromeTraceJson(tracks));
  const std::vector<Event> names = Select(events, "M", "process_name");
  ASSERT_EQ(names.size(), tracks.size());
  for (size_t i = 0; i < tracks.size(); ++i) {
    EXPECT_EQ(names[i].pid, tracks[i].pid);
    EXPECT_EQ(names[i].args.fields().at("name").string_value(), tracks[i].name);
  }
  const std::vector<Event> threads = Select(events, "M", "thread_name");
  ASSERT_EQ(threads.size(), tracks.size());  // no evaluations, so no eval threads
  for (size_t i = 0; i < tracks.size(); ++i) {
    EXPECT_EQ(threads[i].pid, tracks[i].pid);
    EXPECT_EQ(threads[i].args.fields().at("name").string_value(), tracks[i].name);
  }
  const std::vector<Event> order = Select(events, "M", "process_sort_index");
  ASSERT_EQ(order.size(), tracks.size());
  for (size_t i = 0; i < tracks.size(); ++i) {
    EXPECT_EQ(order[i].args.fields().at("sort_index").number_value(), static_cast<double>(i));
  }
}

TEST(ChromeTraceTest, StepsAndPartsMatchTheRecords) {
  std::vector<TraceTrack> tracks(2);
  tracks[0].name = "worker 0";
  tracks[0].pid = 4001;
  tracks[1].name = "worker 1";
  tracks[1].pid = 4002;
  double end = 0.5;
  for (uint64_t n = 1; n <= 50; ++n) {
    end += 0.0125;
    tracks[0].steps.push_back(PsStep(n, end));
    tracks[1].steps.push_back(RingStep(n, 0.3 + 0.021 * n));
  }
  const std::vector<Event> events = Parse(ChromeTraceJson(tracks));
  CheckSteps(events, tracks[0], 4001);
  CheckSteps(events, tracks[1], 4002);
  EXPECT_EQ(Select(events, "X", "step").size(), 100u);
}

TEST(ChromeTraceTest, ZeroPartsAreLeftOut) {
  std::vector<TraceTrack> tracks(1);
  tracks[0].name = "worker 0";
  tracks[0].pid = 7;
  StepRecord only_compute = Step(1, 1.0, 0.01);
  only_compute.set_compute_s(0.009);
  StepRecord nothing = Step(2, 1.02, 0.01);
  StepRecord data_and_update = Step(3, 1.04, 0.01);
  data_and_update.set_data_s(0.002);
  data_and_update.set_update_s(0.003);
  tracks[0].steps = {only_compute, nothing, data_and_update};
  const std::vector<Event> events = Parse(ChromeTraceJson(tracks));
  CheckSteps(events, tracks[0], 7);
  const std::vector<Event> parts = Select(events, "X", "part");
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].name, "compute");
  EXPECT_EQ(parts[1].name, "data");
  EXPECT_EQ(parts[2].name, "update");
  for (const char* absent : {"wait", "pull", "push", "allreduce"}) {
    EXPECT_TRUE(Select(events, "X", absent).empty()) << absent;
  }
}

TEST(ChromeTraceTest, PartsLongerThanTheStepAreCutAtItsEnd) {
  std::vector<TraceTrack> tracks(1);
  tracks[0].name = "worker 0";
  tracks[0].pid = 8;
  StepRecord r = Step(1, 2.0, 0.010);
  r.set_data_s(0.004);
  r.set_compute_s(0.005);
  r.set_push_s(0.003);    // 1 ms past the end
  r.set_update_s(0.001);  // wholly past the end
  tracks[0].steps = {r};
  const std::vector<Event> events = Parse(ChromeTraceJson(tracks));
  const std::vector<Event> step = Select(events, "X", "step 1");
  ASSERT_EQ(step.size(), 1u);
  const std::vector<Event> parts = Select(events, "X", "part");
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[2].name, "push");
  EXPECT_NEAR(parts[2].dur, 1000.0, kMicrosTolerance);
  EXPECT_NEAR(parts[2].ts + parts[2].dur, step[0].ts + step[0].dur, kMicrosTolerance);
}

TEST(ChromeTraceTest, EvalSpansCarryStepAndAccuracy) {
  std::vector<TraceTrack> tracks(2);
  tracks[0].name = "worker 0";
  tracks[0].pid = 11;
  tracks[0].steps = {PsStep(1, 0.1), PsStep(2, 0.2)};
  tracks[0].evals = {{0.15, 0.03, 1, 0.5}, {0.26, 0.05, 2, 0.875}};
  tracks[1].name = "worker 1";
  tracks[1].pid = 12;
  const std::vector<Event> events = Parse(ChromeTraceJson(tracks));
  const std::vector<Event> evals = Select(events, "X", "eval");
  ASSERT_EQ(evals.size(), 2u);
  for (size_t i = 0; i < evals.size(); ++i) {
    const TraceEval& want = tracks[0].evals[i];
    EXPECT_EQ(evals[i].name, "eval");
    EXPECT_EQ(evals[i].cat, "eval");
    EXPECT_EQ(evals[i].pid, 11);
    EXPECT_NEAR(evals[i].ts, (want.end_s - want.duration_s) * 1e6, kMicrosTolerance);
    EXPECT_NEAR(evals[i].dur, want.duration_s * 1e6, kMicrosTolerance);
    EXPECT_EQ(Arg(evals[i], "step"), static_cast<double>(want.step));
    EXPECT_DOUBLE_EQ(Arg(evals[i], "test_accuracy"), want.test_accuracy);
  }
  // Evaluations have a thread of their own, named, in the evaluating process only.
  const std::vector<Event> threads = Select(events, "M", "thread_name");
  int eval_threads = 0;
  for (const Event& t : threads) {
    if (t.args.fields().at("name").string_value() != "eval") continue;
    ++eval_threads;
    EXPECT_EQ(t.pid, 11);
    EXPECT_EQ(t.tid, evals[0].tid);
  }
  EXPECT_EQ(eval_threads, 1);
  EXPECT_NE(evals[0].tid, Select(events, "X", "step 1")[0].tid);
}

TEST(ChromeTraceTest, NamesAreEscaped) {
  const std::string tricky = "worker \"0\" \\ a\tb\nc\x01 caf\xc3\xa9 </script>";
  std::vector<TraceTrack> tracks(2);
  tracks[0].name = tricky;
  tracks[0].pid = 1;
  tracks[1].name = std::string("bad \xff\xc3 utf8");
  tracks[1].pid = 2;
  const std::vector<Event> events = Parse(ChromeTraceJson(tracks));
  const std::vector<Event> names = Select(events, "M", "process_name");
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(names[0].args.fields().at("name").string_value(), tricky);
  EXPECT_EQ(names[1].args.fields().at("name").string_value(),
            "bad \xef\xbf\xbd\xef\xbf\xbd utf8");  // each invalid byte becomes U+FFFD
}

TEST(ChromeTraceTest, NonFiniteValuesStayValidJson) {
  std::vector<TraceTrack> tracks(1);
  tracks[0].name = "worker 0";
  tracks[0].pid = 3;
  StepRecord nan_loss = PsStep(1, 0.1);
  nan_loss.set_loss(std::numeric_limits<float>::quiet_NaN());
  StepRecord no_end = PsStep(2, std::numeric_limits<double>::infinity());
  StepRecord negative = Step(3, 0.3, -1.0);
  negative.set_compute_s(std::numeric_limits<double>::quiet_NaN());
  tracks[0].steps = {nan_loss, no_end, negative};
  tracks[0].evals = {{std::numeric_limits<double>::quiet_NaN(), 1.0, 1, 0.5},
                     {0.4, 0.01, 3, std::numeric_limits<double>::infinity()}};
  const std::vector<Event> events = Parse(ChromeTraceJson(tracks));
  const std::vector<Event> step1 = Select(events, "X", "step 1");
  ASSERT_EQ(step1.size(), 1u);
  EXPECT_EQ(step1[0].args.fields().at("loss").kind_case(), Value::kNullValue);
  EXPECT_TRUE(Select(events, "X", "step 2").empty());  // no finite end: left out
  const std::vector<Event> step3 = Select(events, "X", "step 3");
  ASSERT_EQ(step3.size(), 1u);
  EXPECT_EQ(step3[0].dur, 0.0);
  const std::vector<Event> evals = Select(events, "X", "eval");
  ASSERT_EQ(evals.size(), 1u);
  EXPECT_EQ(evals[0].args.fields().at("test_accuracy").kind_case(), Value::kNullValue);
}

TEST(ChromeTraceTest, SharedPidsAreSeparated) {
  std::vector<TraceTrack> tracks(3);
  tracks[0].name = "a";
  tracks[0].pid = 5;
  tracks[1].name = "b";
  tracks[1].pid = 5;
  tracks[2].name = "c";
  tracks[2].pid = 9;
  const std::vector<Event> names = Select(Parse(ChromeTraceJson(tracks)), "M", "process_name");
  ASSERT_EQ(names.size(), 3u);
  EXPECT_EQ(names[0].pid, 5);
  EXPECT_EQ(names[1].pid, 10);
  EXPECT_EQ(names[2].pid, 9);
}

TEST(ChromeTraceTest, DeterministicAndWrittenToAFile) {
  std::vector<TraceTrack> tracks(1);
  tracks[0].name = "worker 0";
  tracks[0].pid = 21;
  for (uint64_t n = 1; n <= 5; ++n) tracks[0].steps.push_back(PsStep(n, 0.02 * n));
  tracks[0].evals = {{0.11, 0.004, 5, 0.75}};
  const std::string json = ChromeTraceJson(tracks);
  EXPECT_EQ(json, ChromeTraceJson(tracks));
  EXPECT_EQ(json.find("\n"), json.size() - 1) << "one line";

  const std::string path = ::testing::TempDir() + "/trace_test_trace.json";
  ASSERT_TRUE(WriteChromeTrace(tracks, path).ok());
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  EXPECT_EQ(content.str(), json);
  EXPECT_FALSE(WriteChromeTrace(tracks, "/nonexistent-dir/trace.json").ok());
}

TEST(ChromeTraceTest, LargeRunRendersQuickly) {
  constexpr int kWorkers = 8;
  constexpr uint64_t kSteps = 10000;
  std::vector<TraceTrack> tracks(kWorkers);
  for (int w = 0; w < kWorkers; ++w) {
    tracks[w].name = "worker " + std::to_string(w);
    tracks[w].pid = 30000 + w;
    tracks[w].steps.reserve(kSteps);
    for (uint64_t n = 1; n <= kSteps; ++n) {
      tracks[w].steps.push_back(PsStep(n, 1.0 + 0.0125 * n + 1e-4 * w));
    }
    for (uint64_t n = 100; n <= kSteps; n += 100) {
      tracks[w].evals.push_back({1.0 + 0.0125 * n + 0.002, 0.002, n, 0.9});
    }
  }
  const std::string json = ChromeTraceJson(tracks);
  // Speed is a benchmark's business (this machine is shared); the size is checked here.
  // Six spans a step (the step and five parts) and three counter samples (loss, staleness, bytes)
  // at about a hundred bytes each, and no more.
  EXPECT_LT(json.size(), static_cast<size_t>(kWorkers * kSteps * 9 * 110));
  size_t spans = 0;
  for (size_t at = json.find("\"ph\":\"X\""); at != std::string::npos;
       at = json.find("\"ph\":\"X\"", at + 1)) {
    ++spans;
  }
  EXPECT_EQ(spans, kWorkers * (kSteps * 6 + kSteps / 100));
}

}  // namespace
}  // namespace distsim::report
