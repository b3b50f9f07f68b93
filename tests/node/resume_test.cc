// Checkpoints through the binary, as a user meets them: a run killed half-way and resumed ends
// with the same parameters, to the bit, as the run that was never interrupted (SYNC parameter
// server with 2 shards and a 3-rank ring); a corrupt newest checkpoint is named and the one before
// it used; SIGTERM stops a run with 143 and a result.json marked interrupted. Under ASYNC and SSP
// a killed or silent worker rejoins alone while the servers and the other workers go on.
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sim/report/result_io.h"
#include "tests/node/process_util.h"
#include "tests/testing/synthetic_data_test.h"

namespace distsim {
namespace {

namespace fs = std::filesystem;

constexpr int kHalf = 20;  // N: the straight run trains 2N steps, the killed one N + a few

class ResumeTest : public testing::SyntheticDataTest {
 public:
  static void SetUpTestSuite() { testing::BecomeSubreaper(); }
  void TearDown() override {
    testing::ReapOrphans();
    SyntheticDataTest::TearDown();
  }

  // A config named `name` whose strategy and optimizer are given; `extra` adds fields (faults).
  std::string Config(const std::string& file, const std::string& name, const std::string& body,
                     const std::string& extra = "") {
    std::string path = (dir_ / (file + ".textproto")).string();
    std::ofstream(path) << "name: \"" << name << "\"\nseed: 3\n"
                        << "model { mlp { hidden: 32 } }\n"
                        << "data { dataset: IDX dir: \"data\" distribution: GLOBAL_BATCH_SLICE }\n"
                        << "train { batch_size: 16 steps: " << 2 * kHalf
                        << " eval_every_steps: 0 }\n"
                        << "supervision { checkpoint_every_steps: 10 }\n"
                        << body << "\n"
                        << extra;
    return path;
  }

  testing::Finished Run(const std::string& path, bool resume = false) {
    std::vector<std::string> argv = {DISTSIM_BINARY, "run",   path,
                                     "-q",           "--out", (dir_ / "out").string()};
    if (resume) argv.push_back("--resume");
    return testing::Run(argv, 120);
  }

  RunResult Result(const std::string& name) {
    auto r = report::ReadResultJson((dir_ / "out" / name / "result.json").string());
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : RunResult();
  }

  // steps.csv's rows as column name -> text.
  std::vector<std::map<std::string, std::string>> StepsCsv(const std::string& name) {
    std::ifstream in(dir_ / "out" / name / "steps.csv");
    std::string line;
    std::vector<std::string> header;
    std::vector<std::map<std::string, std::string>> rows;
    auto split = [](const std::string& text) {
      std::vector<std::string> cells;
      std::stringstream s(text);
      for (std::string cell; std::getline(s, cell, ',');) cells.push_back(cell);
      return cells;
    };
    if (std::getline(in, line)) header = split(line);
    while (std::getline(in, line)) {
      const std::vector<std::string> cells = split(line);
      std::map<std::string, std::string> row;
      for (size_t i = 0; i < header.size() && i < cells.size(); ++i) row[header[i]] = cells[i];
      rows.push_back(std::move(row));
    }
    return rows;
  }

  fs::path Set(const std::string& name, int step) {
    char set[32];
    std::snprintf(set, sizeof(set), "step-%010d", step);
    return dir_ / "out" / name / "checkpoints" / set;
  }

  // The straight run's hash, then a run of the same config killed at step N + 2 (worker
  // `victim` dies as a crashed machine would: by then every process has written its part of
  // the set of step N), leaving its checkpoints for the resumed run.
  std::string StraightThenKilled(const std::string& name, const std::string& body, int victim) {
    const std::string straight = Config(name + "_straight", name, body);
    testing::Finished done = Run(straight);
    EXPECT_EQ(done.exit_code, 0) << done.err;
    const std::string hash = Result(name).parameter_hash();
    EXPECT_FALSE(hash.empty());
    const std::string killed = Config(name + "_killed", name, body,
                                      "cluster { faults { worker: " + std::to_string(victim) +
                                          " kill_at_step: " + std::to_string(kHalf + 2) + " } }\n");
    done = Run(killed);
    EXPECT_EQ(done.exit_code, 69) << done.err;
    const RunResult partial = Result(name);
    EXPECT_TRUE(partial.checkpoints().interrupted());
    EXPECT_EQ(partial.checkpoints().last_good_step(), static_cast<uint64_t>(kHalf));
    EXPECT_TRUE(fs::exists(Set(name, kHalf)));
    return hash;
  }

  // Resumes with the straight config; the parameters must be the straight run's.
  void ExpectResumedTo(const std::string& name, const std::string& hash, int from) {
    testing::Finished done = Run((dir_ / (name + "_straight.textproto")).string(), true);
    ASSERT_EQ(done.exit_code, 0) << done.err;
    EXPECT_NE(done.err.find("resuming from the checkpoint of step " + std::to_string(from)),
              std::string::npos)
        << done.err;
    const RunResult resumed = Result(name);
    EXPECT_EQ(resumed.checkpoints().resumed_from_step(), static_cast<uint64_t>(from));
    EXPECT_FALSE(resumed.checkpoints().interrupted());
    EXPECT_EQ(resumed.steps(), static_cast<uint64_t>(2 * kHalf));
    EXPECT_EQ(resumed.parameter_hash(), hash) << "resumed from " << from;
  }
};

TEST_F(ResumeTest, SyncParameterServerWithTwoShardsResumesToTheSameBits) {
  const std::string body =
      "optimizer { momentum { learning_rate: 0.05 momentum: 0.9 } }\nworkers: 2\n"
      "parameter_server { mode: SYNC servers: 2 }";
  const std::string hash = StraightThenKilled("ps", body, 1);
  ExpectResumedTo("ps", hash, kHalf);
}

TEST_F(ResumeTest, ThreeRankRingResumesToTheSameBits) {
  const std::string body = "optimizer { adam { learning_rate: 0.001 } }\nworkers: 3\nallreduce { }";
  const std::string hash = StraightThenKilled("ring", body, 2);
  ExpectResumedTo("ring", hash, kHalf);
}

// An injected crash with max_restarts 1, under SYNC PS and under the ring: every process starts
// again from the checkpoint before the crash, the crash is not injected again, and the run ends
// on the straight run's bits.
TEST_F(ResumeTest, KilledWorkerRestartsOnceFromTheCheckpointAndIsNotKilledAgain) {
  for (const std::string strategy :
       {"parameter_server { mode: SYNC servers: 1 }", "allreduce { }"}) {
    SCOPED_TRACE(strategy);
    const std::string name = strategy[0] == 'p' ? "restart_ps" : "restart_ring";
    const std::string body = "optimizer { sgd { learning_rate: 0.05 } }\nworkers: 2\n" + strategy;
    ASSERT_EQ(Run(Config(name + "_straight", name, body)).exit_code, 0);
    const std::string hash = Result(name).parameter_hash();
    const std::string path = (dir_ / (name + "_once.textproto")).string();
    std::ofstream(path) << "name: \"" << name << "\"\nseed: 3\nmodel { mlp { hidden: 32 } }\n"
                        << "data { dataset: IDX dir: \"data\" distribution: GLOBAL_BATCH_SLICE }\n"
                        << "train { batch_size: 16 steps: 40 eval_every_steps: 0 }\n"
                        << body << "\nsupervision { checkpoint_every_steps: 10 max_restarts: 1 }\n"
                        << "cluster { faults { worker: 1 kill_at_step: 22 } }\n";
    testing::Finished done = Run(path);
    ASSERT_EQ(done.exit_code, 0) << done.err;
    EXPECT_NE(done.err.find("restart 1 of 1 after: worker 1"), std::string::npos) << done.err;
    const RunResult r = Result(name);
    ASSERT_EQ(r.checkpoints().restarts_size(), 1);
    EXPECT_EQ(r.checkpoints().restarts(0).resumed_from_step(), 20u);
    EXPECT_EQ(r.steps(), 40u);
    EXPECT_EQ(r.parameter_hash(), hash);
    // steps.csv: attempt 1's rows start after the checkpoint and hold each worker's steps
    // 21..40 once. (What the killed worker did not report before it died is not there; the
    // rows of attempt 0 past step 20 are steps attempt 1 did again.)
    std::map<std::pair<int, int>, int> again;  // (worker, step) -> attempt 1's rows
    for (const auto& row : StepsCsv(name)) {
      if (row.at("attempt") != "1") {
        EXPECT_EQ(row.at("attempt"), "0");
        continue;
      }
      ++again[{std::stoi(row.at("worker")), std::stoi(row.at("step"))}];
    }
    ASSERT_EQ(again.size(), 2u * 20);
    EXPECT_EQ(again.begin()->first, std::make_pair(0, 21));
    EXPECT_EQ(again.rbegin()->first, std::make_pair(1, 40));
    for (const auto& [key, n] : again) EXPECT_EQ(n, 1) << key.first << " " << key.second;
  }
}

// One flipped byte in the newest set: resume names the file, passes over the set and takes the
// one before; training from there still ends on the straight run's bits.
TEST_F(ResumeTest, CorruptNewestCheckpointFallsBackToThePreviousOne) {
  const std::string body =
      "optimizer { sgd { learning_rate: 0.05 } }\nworkers: 2\n"
      "parameter_server { mode: SYNC servers: 2 }";
  const std::string hash = StraightThenKilled("corrupt", body, 0);
  const fs::path victim = Set("corrupt", kHalf) / "server-1.ckpt";
  {
    std::fstream file(victim, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(-5, std::ios::end);
    const char byte = static_cast<char>(file.get());
    file.seekp(-5, std::ios::end);
    file.put(static_cast<char>(byte ^ 0x40));
  }
  testing::Finished done = Run((dir_ / "corrupt_straight.textproto").string(), /*resume=*/true);
  ASSERT_EQ(done.exit_code, 0) << done.err;
  EXPECT_NE(done.err.find("server-1.ckpt: checksum mismatch"), std::string::npos) << done.err;
  EXPECT_NE(done.err.find("resuming from the checkpoint of step 10"), std::string::npos)
      << done.err;
  const RunResult resumed = Result("corrupt");
  EXPECT_EQ(resumed.checkpoints().resumed_from_step(), 10u);
  ASSERT_EQ(resumed.checkpoints().skipped_size(), 1);
  EXPECT_EQ(resumed.parameter_hash(), hash);
}

// No usable checkpoint: a clear error with the kind's exit code, nothing trained.
TEST_F(ResumeTest, ResumeWithoutACheckpointOrFromAnotherConfigIsRefused) {
  const std::string body =
      "optimizer { sgd { learning_rate: 0.05 } }\nworkers: 2\n"
      "parameter_server { mode: SYNC servers: 1 }";
  const std::string path = Config("none", "none", body);
  testing::Finished done = Run(path, /*resume=*/true);
  EXPECT_EQ(done.exit_code, 66) << done.err;
  EXPECT_NE(done.err.find("no checkpoint to resume from"), std::string::npos) << done.err;

  std::string other = body;
  other.replace(other.find("0.05"), 4, "0.06");  // another learning rate: another run
  Config("other_killed", "none", other, "cluster { faults { worker: 1 kill_at_step: 12 } }\n");
  done = Run((dir_ / "other_killed.textproto").string());
  ASSERT_EQ(done.exit_code, 69) << done.err;
  done = Run(path, /*resume=*/true);  // learning rate 0.05: another config's checkpoint
  EXPECT_EQ(done.exit_code, 78) << done.err;
  EXPECT_NE(done.err.find("written by another config"), std::string::npos) << done.err;
}

// SIGTERM (what SageMaker sends before SIGKILL): the run goes on to its next checkpoint, every
// process writes it, and then every process stops: exit 143 naming SIGTERM, a result marked
// interrupted whose last good checkpoint is newer than any complete at the signal. Resumed from
// it, the run ends on the bits of a run never stopped.
TEST_F(ResumeTest, SigtermStopsAtTheNextCheckpointAndResumesFromIt) {
  // The stopped run's messages take 2 ms (a shaped network: not in the config's fingerprint), so
  // that it is not thousands of steps on by the time the test has seen its first checkpoint.
  auto config = [&](const std::string& file, int steps, const std::string& extra = "") {
    std::string path = (dir_ / (file + ".textproto")).string();
    std::ofstream(path) << "name: \"term\"\nseed: 3\nmodel { mlp { hidden: 32 } }\n"
                        << "data { dataset: IDX dir: \"data\" distribution: GLOBAL_BATCH_SLICE }\n"
                        << "optimizer { sgd { learning_rate: 0.05 } }\nworkers: 2\n"
                        << "train { batch_size: 16 steps: " << steps
                        << " log_every_steps: 50 eval_every_steps: 0 }\n"
                        << "parameter_server { mode: SYNC servers: 2 }\n"
                        << "supervision { checkpoint_every_steps: 50 }\n"
                        << extra;
    return path;
  };
  testing::Spawned run = testing::Spawn(
      {DISTSIM_BINARY, "run",
       config("term", 1000000, "cluster { network { shape: true latency_us: 2000 } }\n"), "--out",
       (dir_ / "out").string()});
  const std::string seen = testing::ReadStderrUntil(run, "/1000000 (", 60);
  ASSERT_NE(seen.find("/1000000 ("), std::string::npos) << seen;
  // Newest set with all four parts (two shards, two workers) just before the signal.
  auto complete_before = [&] {
    int newest = 0;
    std::error_code ec;
    for (const auto& set : fs::directory_iterator(dir_ / "out" / "term" / "checkpoints", ec)) {
      int files = 0;
      for (const auto& f : fs::directory_iterator(set.path(), ec))
        files += f.path().extension() == ".ckpt";
      const std::string name = set.path().filename().string();
      if (files == 4 && name.rfind("step-", 0) == 0)
        newest = std::max(newest, std::stoi(name.substr(5)));
    }
    return newest;
  };
  ASSERT_TRUE(testing::Eventually([&] { return complete_before() >= 50; }, 60));
  const std::vector<pid_t> children = testing::ChildrenOf(run.pid, {"--rank"});
  EXPECT_EQ(children.size(), 4u);  // two servers and two workers
  const int good_before = complete_before();
  ::kill(run.pid, SIGTERM);
  testing::Finished done = testing::Wait(run, 60);
  EXPECT_FALSE(done.timed_out);
  EXPECT_EQ(done.exit_code, 143) << done.err;
  EXPECT_NE(done.err.find("SIGTERM: the run goes on to its next checkpoint"), std::string::npos)
      << done.err;
  EXPECT_NE(done.err.find("stopped by SIGTERM: every process stopped at the checkpoint of step"),
            std::string::npos)
      << done.err;
  for (pid_t child : children) {
    EXPECT_TRUE(testing::Eventually([&] { return !testing::Alive(child); }, 5)) << child;
  }
  const RunResult partial = Result("term");
  EXPECT_TRUE(partial.checkpoints().interrupted());
  const int stop = static_cast<int>(partial.checkpoints().last_good_step());
  EXPECT_GT(stop, good_before);
  std::printf("SIGTERM after the set of step %d; stopped at %d\n", good_before, stop);
  EXPECT_EQ(stop % 50, 0);
  EXPECT_GE(partial.steps(), static_cast<uint64_t>(stop));

  // The length is not part of the config's fingerprint: resume with a run 20 steps past the
  // stop, against a straight run of that length in another folder.
  const int length = stop + 20;
  testing::Finished straight = testing::Run({DISTSIM_BINARY, "run", config("term_straight", length),
                                             "-q", "--out", (dir_ / "straight").string()},
                                            120);
  ASSERT_EQ(straight.exit_code, 0) << straight.err;
  auto truth = report::ReadResultJson((dir_ / "straight" / "term" / "result.json").string());
  ASSERT_TRUE(truth.ok()) << truth.status();
  done = Run(config("term_resumed", length), /*resume=*/true);
  ASSERT_EQ(done.exit_code, 0) << done.err;
  EXPECT_NE(done.err.find("resuming from the checkpoint of step " + std::to_string(stop)),
            std::string::npos)
      << done.err;
  const RunResult resumed = Result("term");
  EXPECT_EQ(resumed.checkpoints().resumed_from_step(), static_cast<uint64_t>(stop));
  EXPECT_EQ(resumed.steps(), static_cast<uint64_t>(length));
  EXPECT_EQ(resumed.parameter_hash(), truth->parameter_hash());
}
// SIGTERM when the next checkpoint is further than supervision.stop_grace_s: the run stops when
// the grace is over, saying so, and the checkpoint before the signal stands.
TEST_F(ResumeTest, SigtermStopsWhenTheGraceIsOverWithoutANewCheckpoint) {
  std::string path = (dir_ / "grace.textproto").string();
  std::ofstream(path) << "name: \"grace\"\nseed: 3\nmodel { mlp { hidden: 32 } }\n"
                      << "data { dataset: IDX dir: \"data\" }\n"
                      << "optimizer { sgd { learning_rate: 0.05 } }\nworkers: 2\n"
                      << "train { batch_size: 16 steps: 1000000 log_every_steps: 2000 }\n"
                      << "parameter_server { mode: SYNC }\n"
                      << "supervision { checkpoint_every_steps: 500000 stop_grace_s: 1 }\n";
  testing::Spawned run =
      testing::Spawn({DISTSIM_BINARY, "run", path, "--out", (dir_ / "out").string()});
  const std::string seen = testing::ReadStderrUntil(run, "/1000000 (", 60);
  ASSERT_NE(seen.find("/1000000 ("), std::string::npos) << seen;
  ::kill(run.pid, SIGTERM);  // (a progress line every 2000 steps: the stderr pipe never fills)
  testing::Finished done = testing::Wait(run, 30);
  EXPECT_FALSE(done.timed_out);
  EXPECT_EQ(done.exit_code, 143) << done.err;
  EXPECT_NE(done.err.find("no checkpoint was complete within supervision.stop_grace_s (1s)"),
            std::string::npos)
      << done.err;
  const RunResult partial = Result("grace");
  EXPECT_TRUE(partial.checkpoints().interrupted());
  EXPECT_EQ(partial.checkpoints().last_good_step(), 0u);
}

}  // namespace
}  // namespace distsim

namespace distsim {
namespace {

class RestartTest : public ResumeTest {
 public:
  const fs::path& dir() const { return dir_; }
  data::SyntheticSpec Spec() const override {
    data::SyntheticSpec spec = ResumeTest::Spec();
    spec.train_size = 10000;
    return spec;
  }
};

// A server shard SIGKILLed mid-run under SYNC with max_restarts 1: every process starts again
// from the newest good checkpoint and the run finishes, on the clean run's parameters (the
// resumed arithmetic is the same) and so within 2% of its final training loss.
TEST_F(RestartTest, ShardKilledUnderSyncRestartsFromTheCheckpointAndFinishes) {
  auto config = [&](const std::string& name, int restarts) {
    std::string path = (dir_ / (name + ".textproto")).string();
    std::ofstream(path) << "name: \"" << name << "\"\nseed: 3\nmodel { mlp { hidden: 32 } }\n"
                        << "data { dataset: IDX dir: \"data\" distribution: GLOBAL_BATCH_SLICE }\n"
                        << "optimizer { sgd { learning_rate: 0.05 } }\nworkers: 2\n"
                        << "train { batch_size: 16 steps: 800 eval_every_steps: 0 }\n"
                        << "parameter_server { mode: SYNC servers: 2 }\n"
                        << "supervision { checkpoint_every_steps: 50 max_restarts: " << restarts
                        << " }\n";
    return path;
  };
  testing::Finished clean = Run(config("clean", 0));
  ASSERT_EQ(clean.exit_code, 0) << clean.err;
  const RunResult truth = Result("clean");

  testing::Spawned run = testing::Spawn(
      {DISTSIM_BINARY, "run", config("killed", 1), "-q", "--out", (dir_ / "out").string()});
  // A complete set first (two shards and two workers wrote their parts), so that the restart
  // has a checkpoint to start from.
  const fs::path set = Set("killed", 50);
  ASSERT_TRUE(testing::Eventually(
      [&] {
        int files = 0;
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(set, ec))
          files += e.path().extension() == ".ckpt";
        return files == 4;
      },
      60));
  const std::vector<pid_t> servers = testing::ChildrenOf(run.pid, {" server ", "--rank 1 "});
  ASSERT_EQ(servers.size(), 1u);
  ::kill(servers[0], SIGKILL);
  testing::Finished done = testing::Wait(run, 120);
  ASSERT_EQ(done.exit_code, 0) << done.err;
  EXPECT_NE(done.err.find("restart 1 of 1 after: server 1"), std::string::npos) << done.err;
  const RunResult r = Result("killed");
  ASSERT_EQ(r.checkpoints().restarts_size(), 1);
  EXPECT_NE(r.checkpoints().restarts(0).failure().find("server 1"), std::string::npos);
  EXPECT_GE(r.checkpoints().restarts(0).resumed_from_step(), 50u);
  EXPECT_EQ(r.steps(), 800u);
  EXPECT_NEAR(r.final_train_loss(), truth.final_train_loss(), 0.02 * truth.final_train_loss());
  EXPECT_EQ(r.parameter_hash(), truth.parameter_hash());
}

// ASYNC or SSP with max_restarts 1, worker 1 SIGKILLed mid-run: only that worker starts again;
// it pulls the shards' parameters and goes on from the step after the last they applied from it.
// The servers keep their pids, every worker reaches its last step, and each shard applies every
// worker's every step exactly once: 3 x 4000 updates, counted by the shards' versions and by
// their staleness samples; the modelled clock covers the steps after the rejoin.
// `signal` SIGSTOP: worker 1 falls silent instead; past the heartbeat timeout the launcher
// SIGKILLs it and it rejoins the same way.
void ExpectKilledWorkerRejoins(RestartTest* t, const std::string& name, const std::string& ps,
                               int signal = SIGKILL, const std::string& supervision = "") {
  constexpr uint64_t kSteps = 4000, kWorkers = 3;
  const std::string path = (t->dir() / (name + ".textproto")).string();
  std::ofstream(path) << "name: \"" << name << "\"\nseed: 3\nmodel { mlp { hidden: 32 } }\n"
                      << "data { dataset: IDX dir: \"data\" }\n"
                      << "optimizer { sgd { learning_rate: 0.05 } }\nworkers: " << kWorkers
                      << "\ntrain { batch_size: 16 steps: " << kSteps
                      << " eval_every_steps: 0 log_every_steps: 50 }\n"
                      << ps << "\nsupervision { max_restarts: 1 " << supervision << " }\n";
  testing::Spawned run =
      testing::Spawn({DISTSIM_BINARY, "run", path, "-q", "--out", (t->dir() / "out").string()});
  // Worker 1 well under way (300 of its 4000 steps in steps.csv), far from its end.
  const fs::path csv = t->dir() / "out" / name / "steps.csv";
  ASSERT_TRUE(testing::Eventually(
      [&] {
        std::ifstream in(csv);
        int rows = 0;
        for (std::string line; std::getline(in, line);) rows += line.rfind("1,", 0) == 0;
        return rows >= 300;
      },
      60));
  std::vector<pid_t> servers = testing::ChildrenOf(run.pid, {" server "});
  const std::vector<pid_t> victim = testing::ChildrenOf(run.pid, {" worker ", "--rank 1 "});
  ASSERT_EQ(servers.size(), 2u);
  ASSERT_EQ(victim.size(), 1u);
  ::kill(victim[0], signal);
  testing::Finished done = testing::Wait(run, 120);
  ASSERT_FALSE(done.timed_out) << done.err;
  ASSERT_EQ(done.exit_code, 0) << done.err;
  const std::string& err = done.err;
  EXPECT_NE(err.find("restart 1 of 1 after: worker 1"), std::string::npos) << err;
  if (signal == SIGSTOP) EXPECT_NE(err.find("sent no heartbeat"), std::string::npos) << err;
  EXPECT_NE(err.find("worker 1 rejoined at step "), std::string::npos) << err;
  EXPECT_EQ(err.find("every process starts again"), std::string::npos) << err;

  const RunResult r = t->Result(name);
  ASSERT_EQ(r.checkpoints().restarts_size(), 1);
  const Restart& restart = r.checkpoints().restarts(0);
  EXPECT_TRUE(restart.rejoined());
  EXPECT_NE(restart.failure().find("worker 1"), std::string::npos) << restart.failure();
  EXPECT_GE(restart.resumed_from_step(), restart.failed_at_step());
  EXPECT_LT(restart.resumed_from_step(), kSteps);
  EXPECT_LE(restart.steps_lost(), 1u);
  EXPECT_LE(r.checkpoints().modelled_from_step(), restart.resumed_from_step());
  EXPECT_GT(r.modelled().seconds(), 0);
  // The servers were never restarted: the shards that finished are the ones first started.
  ASSERT_EQ(r.server_stats_size(), 2);
  std::vector<pid_t> finished;
  for (const ServerStats& s : r.server_stats()) finished.push_back(static_cast<pid_t>(s.pid()));
  std::sort(servers.begin(), servers.end());
  std::sort(finished.begin(), finished.end());
  EXPECT_EQ(finished, servers);
  ASSERT_EQ(r.worker_stats_size(), static_cast<int>(kWorkers));
  for (const WorkerStats& w : r.worker_stats()) EXPECT_EQ(w.steps(), kSteps) << w.rank();
  EXPECT_NE(r.worker_stats(1).pid(), victim[0]);
  for (const ServerStats& s : r.server_stats()) {
    EXPECT_EQ(s.updates_applied(), kWorkers * kSteps) << "shard " << s.rank();
    EXPECT_EQ(s.staleness().updates(), kWorkers * kSteps) << "shard " << s.rank();
  }
}

TEST_F(RestartTest, KilledAsyncWorkerRejoinsAloneAndEveryStepIsAppliedOnce) {
  ExpectKilledWorkerRejoins(this, "rejoin_async", "parameter_server { mode: ASYNC servers: 2 }");
}

TEST_F(RestartTest, KilledSspWorkerRejoinsAloneAndTheOthersResumeFromTheBound) {
  ExpectKilledWorkerRejoins(this, "rejoin_ssp",
                            "parameter_server { mode: SSP staleness: 2 servers: 2 }");
}

TEST_F(RestartTest, SilentSspWorkerIsKilledAndRejoinsAlone) {
  ExpectKilledWorkerRejoins(this, "rejoin_silent",
                            "parameter_server { mode: SSP staleness: 2 servers: 2 }", SIGSTOP,
                            "heartbeat_timeout_s: 2");
}

}  // namespace
}  // namespace distsim
