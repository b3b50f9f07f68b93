// trace.json of a real parameter-server run (the distsim binary: launcher, 2 server shards, 2
// workers over gRPC on loopback), parsed back as JSON and checked against the run's own steps.csv
// and config: a process per server shard with its apply spans, loss and staleness counters, flows
// from each push to the applies it fed, the modelled cluster as a process of its own, and no slice
// that overlaps its sibling.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/node/process_util.h"
#include "tests/report/trace_events.h"
#include "tests/testing/synthetic_data_test.h"

namespace distsim {
namespace {

using testing::TraceEvent;

constexpr int kWorkers = 2;
constexpr int kServers = 2;
constexpr int kSteps = 8;

class TraceRunTest : public testing::SyntheticDataTest {
 public:
  static void SetUpTestSuite() { testing::BecomeSubreaper(); }
  void TearDown() override {
    testing::ReapOrphans();
    SyntheticDataTest::TearDown();
  }

  // Runs a SYNC job (its pulls park at the servers) and returns trace.json's events.
  std::vector<TraceEvent> RunAndParse() {
    const std::string path = (dir_ / "trace_run.textproto").string();
    std::ofstream(path) << "name: \"trace_run\"\nseed: 3\nworkers: " << kWorkers << "\n"
                        << "model { mlp { hidden: 32 } }\n"
                        << "data { dataset: IDX dir: \"data\" }\n"
                        << "optimizer { sgd { learning_rate: 0.05 } }\n"
                        << "train { batch_size: 16 steps: " << kSteps
                        << " warmup_steps: 0 eval_every_steps: 4 }\n"
                        << "parameter_server { mode: SYNC servers: " << kServers << " }\n";
    const testing::Finished done = testing::Run(
        {DISTSIM_BINARY, "run", path, "-q", "--out", (dir_ / "out").string()}, 120);
    EXPECT_EQ(done.exit_code, 0) << done.err;
    std::ifstream in(dir_ / "out" / "trace_run" / "trace.json");
    std::stringstream text;
    text << in.rdbuf();
    return testing::ParseTrace(text.str());
  }

  // steps.csv's loss column as worker -> losses in step order.
  std::map<int, std::vector<double>> CsvLosses() {
    std::ifstream in(dir_ / "out" / "trace_run" / "steps.csv");
    std::string line;
    std::getline(in, line);
    const std::vector<std::string> header = absl::StrSplit(line, ',');
    const size_t worker = std::find(header.begin(), header.end(), "worker") - header.begin();
    const size_t loss = std::find(header.begin(), header.end(), "loss") - header.begin();
    std::map<int, std::vector<double>> losses;
    while (std::getline(in, line)) {
      const std::vector<std::string> cells = absl::StrSplit(line, ',');
      double w = 0, l = 0;
      if (cells.size() <= std::max(worker, loss)) continue;
      EXPECT_TRUE(absl::SimpleAtod(cells[worker], &w) && absl::SimpleAtod(cells[loss], &l));
      losses[static_cast<int>(w)].push_back(l);
    }
    return losses;
  }
};

// pid -> process name.
std::map<int64_t, std::string> Processes(const std::vector<TraceEvent>& events) {
  std::map<int64_t, std::string> names;
  for (const TraceEvent& e : testing::SelectEvents(events, "M", "process_name")) {
    names[e.pid] = e.args.fields().at("name").string_value();
  }
  return names;
}

int64_t PidNamed(const std::map<int64_t, std::string>& processes, const std::string& prefix) {
  for (const auto& [pid, name] : processes) {
    if (name.rfind(prefix, 0) == 0) return pid;
  }
  ADD_FAILURE() << "no process named " << prefix;
  return -1;
}

// The X slice named `name` on the thread of `at` that holds at.ts.
const TraceEvent* Holding(const std::vector<TraceEvent>& events, const TraceEvent& at,
                          const std::string& name) {
  for (const TraceEvent& e : events) {
    if (e.ph == "X" && e.name == name && e.pid == at.pid && e.tid == at.tid && e.ts <= at.ts &&
        at.ts <= e.ts + e.dur) {
      return &e;
    }
  }
  return nullptr;
}

// Workers and servers share the run's clock: each arrow joins a push and an apply that overlap in
// time, give or take 2 ms (the worker's parts are drawn one after another from its step's start).
void ExpectAppliesMeetTheirPushes(const std::vector<TraceEvent>& events) {
  std::map<std::string, const TraceEvent*> starts;
  for (const TraceEvent& e : events) {
    if (e.ph == "s") starts[e.id] = &e;
  }
  for (const TraceEvent& f : events) {
    if (f.ph != "f" || !starts.count(f.id)) continue;
    const TraceEvent* push = Holding(events, *starts[f.id], "push");
    const TraceEvent* apply = Holding(events, f, "apply");
    ASSERT_TRUE(push != nullptr && apply != nullptr) << "flow " << f.id;
    constexpr double kSlackUs = 2000;
    EXPECT_LT(apply->ts, push->ts + push->dur + kSlackUs) << "flow " << f.id;
    EXPECT_GT(apply->ts + apply->dur, push->ts - kSlackUs) << "flow " << f.id;
  }
}

TEST_F(TraceRunTest, ParameterServerRunShowsServersCountersFlowsAndNoOverlaps) {
  const std::vector<TraceEvent> events = RunAndParse();
  ASSERT_FALSE(events.empty());
  const std::map<int64_t, std::string> processes = Processes(events);

  // A process per server shard, each with an apply span for every worker's every step (SYNC:
  // every push reaches every shard; 8 steps are far below the shard's span cap).
  std::set<int64_t> server_pids;
  for (int r = 0; r < kServers; ++r) {
    server_pids.insert(PidNamed(processes, "server " + std::to_string(r)));
  }
  ASSERT_EQ(server_pids.size(), static_cast<size_t>(kServers));
  std::map<int64_t, std::set<std::pair<int, int>>> applied;  // server pid -> (worker, step)
  for (const TraceEvent& a : testing::SelectEvents(events, "X", "apply")) {
    ASSERT_TRUE(server_pids.count(a.pid)) << "apply on " << processes.at(a.pid);
    applied[a.pid].insert({static_cast<int>(testing::EventArg(a, "worker")),
                           static_cast<int>(testing::EventArg(a, "step"))});
  }
  for (int64_t pid : server_pids) {
    EXPECT_EQ(applied[pid].size(), static_cast<size_t>(kWorkers * kSteps)) << processes.at(pid);
  }

  // The workers, the coordinator, and the modelled cluster named for its clock.
  const int64_t chief = PidNamed(processes, "worker 0 (chief)");
  const int64_t worker1 = PidNamed(processes, "worker 1");
  PidNamed(processes, "coordinator");
  const int64_t modelled = PidNamed(processes, "modelled cluster (CPU_TIME clock)");

  // Loss counters, one per step, equal to steps.csv's; staleness counters beside them.
  const std::map<int, std::vector<double>> csv = CsvLosses();
  std::map<int64_t, std::vector<std::pair<double, double>>> loss;  // pid -> (ts, loss)
  for (const TraceEvent& c : testing::SelectEvents(events, "C", "loss")) {
    loss[c.pid].push_back({c.ts, testing::EventArg(c, "loss")});
  }
  for (const auto& [rank, pid] : std::map<int, int64_t>{{0, chief}, {1, worker1}}) {
    ASSERT_EQ(loss[pid].size(), static_cast<size_t>(kSteps));
    ASSERT_EQ(csv.at(rank).size(), static_cast<size_t>(kSteps));
    std::sort(loss[pid].begin(), loss[pid].end());
    for (int i = 0; i < kSteps; ++i) EXPECT_NEAR(loss[pid][i].second, csv.at(rank)[i], 1e-5);
  }
  EXPECT_EQ(testing::SelectEvents(events, "C", "staleness").size(),
            static_cast<size_t>(kWorkers * kSteps));
  EXPECT_FALSE(testing::SelectEvents(events, "C", "test accuracy").empty());

  // Flows: every start has its finish, from a worker's push to a server's apply; one per push
  // and shard.
  EXPECT_EQ(testing::FlowProblems(events), std::vector<std::string>{});
  const std::vector<TraceEvent> starts = testing::SelectEvents(events, "s", "flow");
  EXPECT_EQ(starts.size(), static_cast<size_t>(kServers * kWorkers * kSteps));
  for (const TraceEvent& s : starts) EXPECT_TRUE(s.pid == chief || s.pid == worker1);
  for (const TraceEvent& f : testing::SelectEvents(events, "f", "flow")) {
    EXPECT_TRUE(server_pids.count(f.pid));
  }
  ExpectAppliesMeetTheirPushes(events);

  // The modelled cluster: each worker's steps on a thread of its own, with the recorded loss and
  // the pull and push phases (the servers are on hosts of their own).
  std::set<int64_t> modelled_threads;
  int modelled_pushes = 0;
  for (const TraceEvent& e : events) {
    if (e.ph != "X" || e.pid != modelled) continue;
    if (e.cat == "step") {
      modelled_threads.insert(e.tid);
      EXPECT_GT(testing::EventArg(e, "loss"), 0);
    }
    modelled_pushes += e.name == "push";
  }
  EXPECT_EQ(modelled_threads.size(), static_cast<size_t>(kWorkers));
  EXPECT_EQ(modelled_pushes, kWorkers * kSteps);

  EXPECT_EQ(testing::SiblingOverlaps(events), std::vector<std::string>{});
}

}  // namespace
}  // namespace distsim
