// `distsim local` with every host in a network namespace of its own (label netns; needs root).
// The binary runs as a user runs it, on small synthetic data, with a 1 s heartbeat and a 5 s
// stall timeout. Independent truths: the objects in each host's channel folder, opened and
// counted here; the parameter hash of `distsim run` of the same config; the kernel's own list of
// namespaces, links and processes.
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/base/status.h"
#include "sim/data/dataset.h"
#include "sim/node/netns.h"
#include "tests/app/train_tree.h"
#include "tests/node/process_util.h"
#include "tests/testing/synthetic_data_test.h"

namespace distsim {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class LocalTest : public testing::SyntheticDataTest {
 protected:
  void SetUp() override {
    if (geteuid() != 0) {
      GTEST_SKIP() << "distsim local's namespaces need root; run `sudo ctest -L netns`";
    }
    const std::string why = node::NetnsUnavailableReason();
    absl::StatusOr<node::HostNetwork> probe =
        why.empty() ? node::CreateHostNetwork(1, {}) : absl::FailedPreconditionError(why);
    if (!probe.ok()) {
      const char* ci = std::getenv("CI");
      if (ci != nullptr && std::string(ci) == "true") {
        FAIL() << "root under CI, yet no network namespace: " << probe.status();
      }
      GTEST_SKIP() << "cannot make a network namespace here: " << probe.status();
    }
    SyntheticDataTest::SetUp();
  }

  // A config of `hosts` hosts (a shard and a worker on each), written to dir_/<name>.textproto.
  std::string Config(const std::string& name, int hosts, const std::string& extra) {
    const std::string path = (dir_ / (name + ".textproto")).string();
    std::ofstream(path) << "name: \"" << name << "\" seed: 3 workers: " << hosts
                        << " model { mlp { hidden: 16 } } optimizer { sgd { learning_rate: 0.1 } }"
                        << " data { dataset: IDX dir: \"" << data_dir()
                        << "\" distribution: SHARDED_BY_KEY objects: 6 }"
                        << " parameter_server { mode: SYNC placement: COLOCATED }"
                        << " supervision { heartbeat_timeout_s: 1 stall_timeout_s: 5 "
                        << "join_timeout_s: 20 } " << extra;
    return path;
  }

  std::vector<std::string> Local(const std::string& config,
                                 const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> argv = {DISTSIM_BINARY, "local", config, "--out", Out()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }

  std::string Out() const { return (dir_ / "out").string(); }
  std::string RunDir(const std::string& name) const { return Out() + "/" + name; }
  std::string HostRoot(const std::string& name, int i) const {
    return RunDir(name) + "/local/algo-" + std::to_string(i);
  }

  // The job's tag, from the launcher's progress line "... namespaces dsl-<tag>-1..N ...".
  static std::string TagIn(const std::string& progress) {
    std::smatch m;
    if (!std::regex_search(progress, m, std::regex("dsl-([0-9a-f]{4})-1"))) return "";
    return m[1];
  }

  // The first "parameter_hash" of a result.json.
 public:
  static std::string HashIn(const std::string& json) {
    std::smatch m;
    if (!std::regex_search(json, m, std::regex("\"parameter_hash\": \"([0-9a-f]+)\""))) return "";
    return m[1];
  }

 protected:
  // Nothing of the job is left: namespaces, links, hosts files, state, processes.
  void ExpectNothingLeft(const std::string& tag) {
    ASSERT_FALSE(tag.empty());
    const std::vector<std::string> left = node::LeftoverNetworkResources(tag);
    EXPECT_TRUE(left.empty()) << left.size() << " left, the first " << left.front();
    EXPECT_TRUE(testing::Eventually(
        [&] { return testing::ProcessesMentioning(dir_.string()).empty(); }, 5));
  }
};

// Two hosts train to the end; the chief's model is collected into the run's folder.
TEST_F(LocalTest, TwoHostsTrainAndTheChiefWritesTheModel) {
  const std::string config =
      Config("two", 2, "train { batch_size: 20 steps: 30 eval_every_steps: 30 }");
  const testing::Finished done = testing::Run(Local(config), 60);
  ASSERT_EQ(done.exit_code, 0) << done.err;
  EXPECT_TRUE(fs::exists(HostRoot("two", 1) + "/output/success"));
  EXPECT_TRUE(fs::exists(HostRoot("two", 2) + "/output/success"));
  EXPECT_FALSE(fs::is_empty(HostRoot("two", 1) + "/model"));
  EXPECT_FALSE(fs::is_empty(RunDir("two") + "/model"));
  EXPECT_TRUE(fs::exists(RunDir("two") + "/result.json"));
  EXPECT_THAT(testing::ReadText(RunDir("two") + "/local.json"), HasSubstr("\"succeeded\": true"));
  ExpectNothingLeft(TagIn(done.err));
}

// Under ShardedByS3Key each of 3 hosts holds 2 of the 6 objects, no two hosts the same, and one
// epoch touches exactly the examples its own channel holds (counted from the files).
TEST_F(LocalTest, ThreeShardedHostsEachTrainOnExactlyTheirChannel) {
  const std::string config =
      Config("sharded", 3, "train { batch_size: 20 epochs: 1 eval_every_steps: 100 }");
  const testing::Finished done = testing::Run(Local(config), 60);
  ASSERT_EQ(done.exit_code, 0) << done.err;
  std::set<std::string> objects;
  int64_t total = 0;
  for (int i = 1; i <= 3; ++i) {
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(HostRoot("sharded", i) + "/input/data/train")) {
      files.push_back(e.path().string());
      EXPECT_TRUE(objects.insert(e.path().filename().string()).second) << e.path();
    }
    EXPECT_EQ(files.size(), 2u);
    std::vector<std::vector<int64_t>> ids;
    absl::StatusOr<data::Dataset> channel = data::Dataset::OpenObjects(files, 10, &ids);
    ASSERT_TRUE(channel.ok()) << channel.status();
    total += channel->size();
    const std::string report = testing::ReadText(HostRoot("sharded", i) + "/output/data/worker-" +
                                                 std::to_string(i - 1) + ".json");
    EXPECT_THAT(report, HasSubstr("\"distinct_examples\": \"" + std::to_string(channel->size())));
    EXPECT_THAT(report, HasSubstr("\"channel_examples\": \"" + std::to_string(channel->size())));
  }
  EXPECT_EQ(objects.size(), 6u);
  EXPECT_EQ(total, 1200);
  ExpectNothingLeft(TagIn(done.err));
}

// A host that starts 10 s after the others still joins: the others wait for it.
TEST_F(LocalTest, AHostStartedTenSecondsLateStillJoins) {
  const std::string config =
      Config("late", 2, "train { batch_size: 20 steps: 20 eval_every_steps: 20 }");
  const testing::Finished done = testing::Run(Local(config, {"--start-delay", "0,10"}), 60);
  ASSERT_EQ(done.exit_code, 0) << done.err;
  EXPECT_GE(done.seconds, 10);
  EXPECT_TRUE(fs::exists(HostRoot("late", 2) + "/output/success"));
  ExpectNothingLeft(TagIn(done.err));
}

// Killing every process of one host makes the others fail naming it.
TEST_F(LocalTest, KillingOneHostMakesTheOthersNameIt) {
  const std::string config =
      Config("killed", 3, "train { batch_size: 20 steps: 1000000 eval_every_steps: 1000000 }");
  const testing::Spawned job = testing::Spawn(Local(config));
  const std::string progress = testing::ReadStderrUntil(job, "algo-3 started", 30);
  const std::string tag = TagIn(progress);
  ASSERT_FALSE(tag.empty()) << progress;
  // Training has begun once the chief's steps file has grown.
  ASSERT_TRUE(testing::Eventually(
      [&] { return fs::exists(HostRoot("killed", 1) + "/output/data/steps.csv"); }, 30));
  absl::SleepFor(absl::Seconds(1));
  const std::string netns = "dsl-" + tag + "-3";
  EXPECT_GT(node::KillNamespaceProcesses(netns), 0);
  const testing::Finished done = testing::Wait(job, 60);
  EXPECT_EQ(done.exit_code, kExitUnavailable) << progress << done.err;
  for (int i = 1; i <= 2; ++i) {
    EXPECT_THAT(testing::ReadText(HostRoot("killed", i) + "/output/failure"), HasSubstr("algo-3"))
        << "host algo-" << i;
  }
  ExpectNothingLeft(tag);
}

// A launcher killed with SIGKILL cannot clean up; the next start removes what it left.
TEST_F(LocalTest, WhatASigkilledLauncherLeftIsRemovedOnTheNextStart) {
  const std::string config =
      Config("orphan", 2, "train { batch_size: 20 steps: 1000000 eval_every_steps: 1000000 }");
  const testing::Spawned job = testing::Spawn(Local(config));
  const std::string progress = testing::ReadStderrUntil(job, "algo-2 started", 30);
  const std::string tag = TagIn(progress);
  ASSERT_FALSE(tag.empty()) << progress;
  kill(job.pid, SIGKILL);
  testing::Wait(job, 10);
  EXPECT_FALSE(node::LeftoverNetworkResources(tag).empty());
  const std::string next =
      Config("next", 1, "train { batch_size: 20 steps: 5 eval_every_steps: 5 }");
  const testing::Finished done = testing::Run(Local(next), 60);
  EXPECT_EQ(done.exit_code, 0) << done.err;
  ExpectNothingLeft(tag);
  ExpectNothingLeft(TagIn(done.err));
}

// The round trip: export-sagemaker's CreateTrainingJob request of a 3-host SYNC job (a shard on
// every host), run by distsim local as SageMaker would run it (the request's hyperparameters in
// every host's tree, distsim train in three namespaces), ends with the parameters of `distsim
// run` of the original config, bit for bit.
TEST_F(LocalTest, TheExportedJobRunInNamespacesEndsWithTheParametersOfDistsimRun) {
  const std::string config = Config("trip", 3,
                                    "train { batch_size: 20 steps: 25 eval_every_steps: 25 } "
                                    "cluster { instance_type: \"ml.c5.xlarge\" }");
  const testing::Finished run =
      testing::Run({DISTSIM_BINARY, "run", config, "--out", (dir_ / "run").string(), "-q"}, 60);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string hash_of_run =
      HashIn(testing::ReadText((dir_ / "run/trip/result.json").string()));
  ASSERT_FALSE(hash_of_run.empty());
  const std::string exported = (dir_ / "export").string();
  const testing::Finished exporting =
      testing::Run({DISTSIM_BINARY, "export-sagemaker", config, "--out", exported, "--result",
                    (dir_ / "run/trip/result.json").string()},
                   30);
  ASSERT_EQ(exporting.exit_code, 0) << exporting.err;
  const testing::Finished done =
      testing::Run(Local(exported + "/create-training-job.json", {"--data-dir", data_dir()}), 60);
  ASSERT_EQ(done.exit_code, 0) << done.err;
  EXPECT_EQ(HashIn(testing::ReadText(RunDir("trip") + "/result.json")), hash_of_run);
  // The hosts read the request's own hyperparameters.
  EXPECT_THAT(testing::ReadText(HostRoot("trip", 2) + "/input/config/hyperparameters.json"),
              HasSubstr("sagemaker_parameter_server_enabled"));
  ExpectNothingLeft(TagIn(done.err));
}

// Without namespaces (no root, or --network loopback) the hosts run on loopback aliases with a
// hosts file, and say so; the job is the same job: the parameters of a run in namespaces.
class LocalLoopbackTest : public testing::SyntheticDataTest {};

TEST_F(LocalLoopbackTest, HostsOnLoopbackAliasesTrainTheSameJob) {
  const std::string config = (dir_ / "loop.textproto").string();
  std::ofstream(config) << "name: \"loop\" seed: 3 workers: 2 model { mlp { hidden: 16 } } "
                        << "optimizer { sgd { learning_rate: 0.1 } } data { dataset: IDX dir: \""
                        << data_dir() << "\" distribution: SHARDED_BY_KEY objects: 4 } "
                        << "parameter_server { mode: SYNC placement: COLOCATED } "
                        << "supervision { heartbeat_timeout_s: 1 stall_timeout_s: 5 } "
                        << "train { batch_size: 20 steps: 15 eval_every_steps: 15 }";
  const std::string out = (dir_ / "out").string();
  const testing::Finished done =
      testing::Run({DISTSIM_BINARY, "local", config, "--out", out, "--network", "loopback"}, 60);
  ASSERT_EQ(done.exit_code, 0) << done.err;
  EXPECT_THAT(done.err, HasSubstr("loopback aliases 127."));
  const std::string local = testing::ReadText(out + "/loop/local.json");
  EXPECT_THAT(local, HasSubstr("\"succeeded\": true"));
  EXPECT_THAT(testing::ReadText(out + "/loop/local/algo-1/input/config/resourceconfig.json"),
              HasSubstr("\"network_interface_name\":\"lo\""));
  const testing::Finished run =
      testing::Run({DISTSIM_BINARY, "run", config, "--out", (dir_ / "run").string(), "-q"}, 60);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string hash_of_run =
      LocalTest::HashIn(testing::ReadText((dir_ / "run/loop/result.json").string()));
  ASSERT_FALSE(hash_of_run.empty());
  EXPECT_EQ(LocalTest::HashIn(testing::ReadText(out + "/loop/result.json")), hash_of_run);
}

}  // namespace
}  // namespace distsim
