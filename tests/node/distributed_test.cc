// Distributed runs as real processes over gRPC, driven through the distsim binary as a user
// would: results that parse back, the bytes the transport counted, and failures that end the run
// quickly, name the culprit and leave nothing running.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "sim/data/synthetic.h"
#include "sim/node/distributed_run.h"
#include "sim/report/result_io.h"
#include "sim/config/config.h"
#include "sim/node/factory.h"
#include "sim/app/plan.h"
#include "sim/node/run_plan.h"
#include "tests/node/process_util.h"
#include "tests/testing/synthetic_data_test.h"

namespace distsim {
namespace {

namespace fs = std::filesystem;
using testing::Alive;
using testing::ChildrenOf;
using testing::Eventually;

class DistributedTest : public testing::SyntheticDataTest {
 public:
  static void SetUpTestSuite() { testing::BecomeSubreaper(); }

  void TearDown() override {
    testing::ReapOrphans();
    SyntheticDataTest::TearDown();
  }

  // Writes a config with the given strategy lines and returns its path.
  std::string Config(const std::string& name, const std::string& body,
                     const std::string& data_extra = "") {
    std::string path = (dir_ / (name + ".textproto")).string();
    std::ofstream(path) << "name: \"" << name << "\"\nseed: 2\n"
                        << "model { mlp { hidden: 32 } }\n"
                        << "data { dataset: IDX dir: \"data\" " << data_extra << " }\n"
                        << "optimizer { sgd { learning_rate: 0.1 } }\n"
                        << body;
    return path;
  }

  // Starts a run of `config` (named `name`), waits until it trains, SIGSTOPs worker 1 (alive but
  // silent), and returns how the run ended within 20 s; *victim gets worker 1's pid.
  testing::Finished StopWorkerOneMidRun(const std::string& config, const std::string& name,
                                        pid_t* victim) {
    testing::Spawned launcher = testing::Spawn(RunArgv(config));
    std::vector<pid_t> found;
    const bool started = Eventually(
        [&] {
          found = ChildrenOf(launcher.pid, {" worker ", "--rank 1 "});
          return found.size() == 1;
        },
        20);
    const fs::path csv = dir_ / "out" / name / "steps.csv";
    const bool trains =
        started && Eventually([&] { return fs::exists(csv) && fs::file_size(csv) > 2000; }, 30);
    EXPECT_TRUE(trains) << "the run did not start training";
    if (trains) {
      *victim = found[0];
      kill(*victim, SIGSTOP);
    }
    testing::Finished done = testing::Wait(launcher, 20);
    if (trains) kill(*victim, SIGCONT);
    return done;
  }

  // Starts a run of `config` and waits until `n` children of the launcher have exec'd (their
  // command line has a --rank); returns the launcher and, in `children`, their pids.
  testing::Spawned StartRun(const std::string& config, size_t n, std::vector<pid_t>* children) {
    testing::Spawned launcher = testing::Spawn(RunArgv(config));
    const bool started = Eventually(
        [&] {
          *children = ChildrenOf(launcher.pid, {"--rank"});
          return children->size() == n;
        },
        20);
    EXPECT_TRUE(started) << "the run did not start " << n << " processes within 20 s";
    return launcher;
  }

  std::vector<std::string> RunArgv(const std::string& config) {
    return {DISTSIM_BINARY, "run", config, "-q", "--out", (dir_ / "out").string()};
  }

  RunResult ReadResult(const std::string& name) {
    auto r = report::ReadResultJson((dir_ / "out" / name / "result.json").string());
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : RunResult();
  }

  // Starts a long run, waits until it trains, SIGKILLs the worker of rank `rank`, and checks the
  // run ends within 10 s with exit 69 naming that worker, leaving no process behind.
  void KillWorkerMidRun(const std::string& config, int rank) {
    testing::Spawned launcher = testing::Spawn(RunArgv(config));
    std::vector<pid_t> workers;
    ASSERT_TRUE(Eventually(
        [&] {
          workers = ChildrenOf(launcher.pid, {" worker "});
          return workers.size() == 3;
        },
        20));
    std::vector<pid_t> everyone = ChildrenOf(launcher.pid);
    const fs::path csv = dir_ / "out" / fs::path(config).stem() / "steps.csv";
    ASSERT_TRUE(Eventually([&] { return fs::exists(csv) && fs::file_size(csv) > 2000; }, 30));
    std::vector<pid_t> victim =
        ChildrenOf(launcher.pid, {" worker ", "--rank " + std::to_string(rank) + " "});
    ASSERT_EQ(victim.size(), 1u);
    ASSERT_EQ(kill(victim[0], SIGKILL), 0);
    testing::Finished done = testing::Wait(launcher, 10.0);
    EXPECT_FALSE(done.timed_out) << "the run did not end within 10 s of the kill";
    EXPECT_EQ(done.exit_code, 69) << done.err;
    EXPECT_NE(done.err.find("worker " + std::to_string(rank) + " (pid " +
                            std::to_string(victim[0]) + ") was killed by signal 9 (SIGKILL)"),
              std::string::npos)
        << done.err;
    for (pid_t pid : everyone) EXPECT_FALSE(Alive(pid)) << "pid " << pid << " left running";
  }

};

TEST_F(DistributedTest, ParameterServerTwoServersThreeWorkersLearnsAndReportsBytes) {
  std::string config = Config("ps", R"(workers: 3
train { batch_size: 32 steps: 120 eval_every_steps: 60 }
parameter_server { mode: ASYNC servers: 2 }
)");
  testing::Finished done = testing::Run(RunArgv(config), 120);
  ASSERT_EQ(done.exit_code, 0) << done.err;
  RunResult r = ReadResult("ps");
  EXPECT_GE(r.final_train_accuracy(), 0.95);
  EXPECT_EQ(r.workers(), 3u);
  EXPECT_EQ(r.servers(), 2u);
  ASSERT_EQ(r.worker_stats_size(), 3);
  ASSERT_EQ(r.server_stats_size(), 2);
  EXPECT_EQ(r.server_stats(0).parameters() + r.server_stats(1).parameters(),
            r.parameter_count());
  // Every step pushes every gradient and pulls every parameter: 2 x model bytes, within 1%.
  const double model_bytes = 4.0 * r.parameter_count();
  for (const WorkerStats& w : r.worker_stats()) {
    EXPECT_EQ(w.steps(), 120u);
    EXPECT_NEAR(w.bytes_per_step(), 2 * model_bytes, 0.01 * 2 * model_bytes) << w.rank();
  }
  EXPECT_EQ(r.staleness().updates(), 3u * 120u * 2u);  // every push applied on both shards
  EXPECT_GE(r.evals_size(), 2);
}

// A 3-worker ring over `transport`: the replicas end identical, and each worker's transport
// counted 2 x 2(n-1)/n of the buffer per step (sent plus received), within one segment each way.
void CheckRing(DistributedTest* test, const std::string& name, const std::string& transport) {
  std::string config = test->Config(name, R"(workers: 3
train { batch_size: 32 steps: 60 eval_every_steps: 0 }
allreduce { transport: )" + transport + R"( segment_bytes: 8192 }
)",
                                    "distribution: GLOBAL_BATCH_SLICE");
  testing::Finished done = testing::Run(test->RunArgv(config), 120);
  ASSERT_EQ(done.exit_code, 0) << done.err;
  RunResult r = test->ReadResult(name);
  ASSERT_EQ(r.worker_stats_size(), 3);
  const double expected = 2 * 2.0 * 2 / 3 * 4.0 * r.parameter_count();
  for (const WorkerStats& w : r.worker_stats()) {
    EXPECT_EQ(w.parameter_hash(), r.worker_stats(0).parameter_hash());
    EXPECT_NEAR(w.bytes_per_step(), expected, 2 * 8192 + 0.01 * expected);
  }
}

TEST_F(DistributedTest, RingOverTcpReplicasEndIdenticalAndMoveTheRingBytes) {
  CheckRing(this, "ring_tcp", "TCP");
}

TEST_F(DistributedTest, RingOverGrpcReplicasEndIdenticalAndMoveTheRingBytes) {
  CheckRing(this, "ring_grpc", "GRPC");
}

TEST_F(DistributedTest, ColocatedBytesMatchThePlan) {
  std::string path = Config("colocated", R"(workers: 2
train { batch_size: 16 steps: 40 eval_every_steps: 0 }
parameter_server { mode: ASYNC placement: COLOCATED partitioning: ROUND_ROBIN_TENSORS }
)");
  testing::Finished done = testing::Run(RunArgv(path), 120);
  ASSERT_EQ(done.exit_code, 0) << done.err;
  RunResult r = ReadResult("colocated");
  auto config = config::LoadAndValidate(path);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(r.servers(), 2u);
  // What `distsim plan` predicts for each worker, from the same shard map.
  auto model = node::MakeModel(config->model(), 28, 28, 10);
  ASSERT_TRUE(model.ok());
  auto shards = node::ShardMapOf(*config, (*model)->layout());
  ASSERT_TRUE(shards.ok());
  const app::ExpectedBytes expected =
      app::ExpectBytes(*config, (*model)->layout().size(), &*shards);
  for (const WorkerStats& w : r.worker_stats()) {
    EXPECT_NEAR(w.bytes_per_step(), expected.worker_per_step, 0.01 * expected.worker_per_step);
  }
}

// A worker that is alive but makes no progress (SIGSTOP; its heartbeats stop too, but the
// heartbeat timeout is long here) stalls the SYNC run: exit 75, naming the rank waited on.
TEST_F(DistributedTest, StalledWorkerIsExit75NamingIt) {
  std::string config = Config("stall", R"(workers: 2
train { batch_size: 16 steps: 1000000 }
parameter_server { mode: SYNC }
supervision { heartbeat_timeout_s: 600 stall_timeout_s: 2 }
)");
  pid_t victim = 0;
  testing::Finished done = StopWorkerOneMidRun(config, "stall", &victim);
  EXPECT_FALSE(done.timed_out);
  EXPECT_EQ(done.exit_code, 75) << done.err;
  EXPECT_NE(done.err.find("worker 1"), std::string::npos) << done.err;
  // A warning came first, at half the stall timeout, naming the worker that stopped.
  const size_t warning = done.err.find("warning: no step for");
  ASSERT_NE(warning, std::string::npos) << done.err;
  EXPECT_NE(done.err.find("worker 1 is furthest behind", warning), std::string::npos) << done.err;
}

// A stopped ring rank leaves its neighbours waiting; the run is reported as that rank's stall,
// not as the neighbour that gave up first.
TEST_F(DistributedTest, ARingStallNamesTheStalledRankNotItsNeighbour) {
  std::string config = Config("ring_stall", R"(workers: 3
train { batch_size: 16 steps: 1000000 }
allreduce {}
supervision { heartbeat_timeout_s: 600 stall_timeout_s: 2 }
)");
  pid_t victim = 0;
  testing::Finished done = StopWorkerOneMidRun(config, "ring_stall", &victim);
  EXPECT_FALSE(done.timed_out);
  EXPECT_EQ(done.exit_code, 75) << done.err;
  const std::string last_line = done.err.substr(done.err.rfind("distsim: "));
  EXPECT_EQ(last_line.find("distsim: worker 1 (pid " + std::to_string(victim) + ") stalled"),
            0u)
      << done.err;
}

TEST_F(DistributedTest, KilledParameterServerWorkerEndsTheRunNamingIt) {
  KillWorkerMidRun(Config("ps_kill", R"(workers: 3
train { batch_size: 16 steps: 1000000 }
parameter_server { mode: SYNC servers: 1 }
)"),
                   1);
}

TEST_F(DistributedTest, KilledRingRankEndsTheRunNamingIt) {
  KillWorkerMidRun(Config("ring_kill", R"(workers: 3
train { batch_size: 16 steps: 1000000 }
allreduce {}
)"),
                   2);
}

TEST_F(DistributedTest, KilledLauncherLeavesNoChild) {
  std::string config = Config("orphans", R"(workers: 2
train { batch_size: 16 steps: 1000000 }
parameter_server { mode: ASYNC }
)");
  std::vector<pid_t> children;
  testing::Spawned launcher = StartRun(config, 3, &children);
  ASSERT_EQ(children.size(), 3u);
  kill(launcher.pid, SIGKILL);
  testing::Wait(launcher, 5);
  EXPECT_TRUE(Eventually(
      [&] {
        testing::ReapOrphans();
        for (pid_t pid : children) {
          if (Alive(pid)) return false;
        }
        return true;
      },
      5))
      << "children outlived their launcher";
}

TEST_F(DistributedTest, InterruptStopsEverythingAndIsNotAChildFailure) {
  std::string config = Config("interrupt", R"(workers: 2
train { batch_size: 16 steps: 1000000 }
allreduce {}
)");
  std::vector<pid_t> children;
  testing::Spawned launcher = StartRun(config, 2, &children);
  ASSERT_EQ(children.size(), 2u);
  absl::SleepFor(absl::Milliseconds(500));
  kill(launcher.pid, SIGINT);
  testing::Finished done = testing::Wait(launcher, 10);
  EXPECT_EQ(done.exit_code, 130) << done.err;
  EXPECT_NE(done.err.find("interrupted"), std::string::npos) << done.err;
  EXPECT_EQ(done.err.find("killed by signal"), std::string::npos) << done.err;
  for (pid_t pid : children) EXPECT_FALSE(Alive(pid));
}

TEST_F(DistributedTest, ASecondRunWithTheSameNameIsRefusedNamingTheFirst) {
  std::string config = Config("same", R"(workers: 2
train { batch_size: 16 steps: 1000000 }
allreduce {}
)");
  testing::Spawned first = testing::Spawn(RunArgv(config));
  ASSERT_TRUE(Eventually([&] { return ChildrenOf(first.pid).size() == 2; }, 20));
  testing::Finished second = testing::Run(RunArgv(config), 60);
  EXPECT_EQ(second.exit_code, 73) << second.err;
  EXPECT_NE(second.err.find("in use by another run with the same name (pid " +
                            std::to_string(first.pid) + ")"),
            std::string::npos)
      << second.err;
  // The first run was not disturbed: it still trains, and stops cleanly.
  EXPECT_TRUE(Alive(first.pid));
  kill(first.pid, SIGINT);
  testing::Finished done = testing::Wait(first, 10);
  EXPECT_EQ(done.exit_code, 130) << done.err;
}

// A killed server counts no steps of its own: it is named with the step the run had reached.
TEST_F(DistributedTest, AKilledServerIsNamedWithTheStepTheRunReached) {
  std::string config = Config("server_kill", R"(workers: 2
train { batch_size: 16 steps: 1000000 }
parameter_server { mode: ASYNC }
)");
  testing::Spawned launcher = testing::Spawn(RunArgv(config));
  const fs::path csv = dir_ / "out" / "server_kill" / "steps.csv";
  ASSERT_TRUE(Eventually([&] { return fs::exists(csv) && fs::file_size(csv) > 2000; }, 30));
  std::vector<pid_t> server = ChildrenOf(launcher.pid, {" server "});
  ASSERT_EQ(server.size(), 1u);
  ASSERT_EQ(kill(server[0], SIGKILL), 0);
  testing::Finished done = testing::Wait(launcher, 10);
  EXPECT_EQ(done.exit_code, 69) << done.err;
  const std::string named = "server 0 (pid " + std::to_string(server[0]) + ") was killed";
  ASSERT_NE(done.err.find(named), std::string::npos) << done.err;
  EXPECT_EQ(done.err.find("at step 0"), std::string::npos) << done.err;
}

// The whole of a process's NUL-separated /proc file, NULs as spaces.
std::string ProcFile(pid_t pid, const char* name) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/" + name, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (char& c : text) {
    if (c == '\0') c = ' ';
  }
  return text;
}

TEST_F(DistributedTest, TheTokenIsInNoChildsCommandLine) {
  std::string config = Config("secret", R"(workers: 2
train { batch_size: 16 steps: 1000000 }
parameter_server { mode: ASYNC }
)");
  // Children found by their --rank have exec'd (before, a child's environment is the launcher's).
  std::vector<pid_t> children;
  testing::Spawned launcher = StartRun(config, 3, &children);
  ASSERT_EQ(children.size(), 3u);
  for (pid_t pid : children) {
    const std::string env = ProcFile(pid, "environ");
    const size_t at = env.find("DISTSIM_TOKEN=");
    ASSERT_NE(at, std::string::npos) << "child " << pid << " got no token";
    const std::string token = env.substr(at + 14, env.find(' ', at) - at - 14);
    ASSERT_GE(token.size(), 32u);  // 128 bits in hex
    const std::string cmdline = ProcFile(pid, "cmdline");
    EXPECT_EQ(cmdline.find(token), std::string::npos) << cmdline;
    EXPECT_EQ(cmdline.find("--token"), std::string::npos) << cmdline;
  }
  kill(launcher.pid, SIGINT);
  testing::Finished done = testing::Wait(launcher, 10);
  EXPECT_EQ(done.exit_code, 130) << done.err;
}

TEST_F(DistributedTest, AHandStartedRoleWithoutTheTokenIsRefused) {
  std::string config = Config("notoken", R"(workers: 2
train { batch_size: 16 steps: 10 }
allreduce {}
)");
  std::vector<std::string> argv = {"/usr/bin/env", "-u", "DISTSIM_TOKEN", "-u",
                                   "DISTSIM_TOKEN_FILE", DISTSIM_BINARY, "worker", "--config",
                                   config, "--rank", "0", "--coordinator", "127.0.0.1:1",
                                   "--data-dir", data_dir()};
  testing::Finished done = testing::Run(argv, 30);
  EXPECT_EQ(done.exit_code, 77) << done.err;
  EXPECT_NE(done.err.find("no run token"), std::string::npos) << done.err;
  // A token file others may read is refused too.
  const std::string file = (dir_ / "token").string();
  std::ofstream(file) << "0123456789abcdef0123456789abcdef\n";
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  argv.insert(argv.begin() + 5, "DISTSIM_TOKEN_FILE=" + file);
  done = testing::Run(argv, 30);
  EXPECT_EQ(done.exit_code, 77) << done.err;
  EXPECT_NE(done.err.find("readable by its owner alone"), std::string::npos) << done.err;
}

// Runs a 2-worker PS config through the launcher with every server started as `server_command`
// (a shell command standing in for `distsim server`); workers are the real binary.
absl::StatusOr<RunResult> RunWithFakeServer(const fs::path& dir,
                                            const std::string& name,
                                            const std::string& server_command,
                                            double registration_timeout_s) {
  const std::string wrapper = (dir / "wrapper.sh").string();
  std::ofstream(wrapper) << "#!/bin/sh\nif [ \"$1\" = server ]; then " << server_command
                         << "; fi\nexec " << DISTSIM_BINARY << " \"$@\"\n";
  fs::permissions(wrapper, fs::perms::owner_all);
  std::string path = (dir / (name + ".textproto")).string();
  std::ofstream(path) << "name: \"" << name << "\"\nworkers: 2\n"
                      << "model { mlp { hidden: 8 } }\n"
                      << "data { dataset: IDX dir: \"data\" }\n"
                      << "optimizer { sgd { learning_rate: 0.1 } }\n"
                      << "train { batch_size: 16 steps: 50 }\nparameter_server {}\n";
  auto config = config::LoadAndValidate(path);
  if (!config.ok()) return config.status();
  node::DistributedRunOptions options;
  options.data_dir = (dir / "data").string();
  options.out_dir = (dir / "out" / name).string();
  options.executable = wrapper;
  options.registration_timeout_s = registration_timeout_s;
  return node::RunDistributed(*config, options);
}

TEST_F(DistributedTest, ServerThatNeverComesUpIsNamed) {
  auto start = absl::Now();
  absl::StatusOr<RunResult> r = RunWithFakeServer(dir_, "silent", "exec sleep 60", 2);
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("server 0 never registered"), std::string::npos)
      << r.status();
  EXPECT_TRUE(ChildrenOf(getpid(), {"sleep 60"}).empty());
}

TEST_F(DistributedTest, ServerThatDiesAtStartIsNamed) {
  absl::StatusOr<RunResult> r = RunWithFakeServer(dir_, "dies", "exit 3", 30);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("server 0"), std::string::npos) << r.status();
  EXPECT_NE(r.status().message().find("exited with code 3"), std::string::npos) << r.status();
}

}  // namespace
}  // namespace distsim
