// `distsim worker` and `distsim server` placed by a TensorFlow cluster spec, as a Kubeflow TFJob
// starts them: no --rank, no --coordinator, only $TF_CONFIG (sim/config/tf_config.h). A chief, a
// worker and two parameter servers on loopback aliases of their own, with `distsim coordinator`
// on the chief's port 2222, train to the end; a spec that does not match the config, or a role
// placed by nothing, is refused.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/base/status.h"
#include "sim/report/result_io.h"
#include "tests/app/train_tree.h"
#include "tests/node/process_util.h"
#include "tests/testing/synthetic_data_test.h"

namespace distsim {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class TfConfigRolesTest : public testing::SyntheticDataTest {
 protected:
  void SetUp() override {
    SyntheticDataTest::SetUp();
    setenv("DISTSIM_TOKEN", "00112233445566778899aabbccddeeff", 1);
    prefix_ = testing::LoopbackPrefix();
    config_ = (dir_ / "tfjob.textproto").string();
    std::ofstream(config_) << "name: \"tfjob\" seed: 3 workers: 2\n"
                           << "model { mlp { hidden: 16 } }\n"
                           << "data { dataset: IDX dir: \"" << data_dir() << "\" }\n"
                           << "optimizer { sgd { learning_rate: 0.1 } }\n"
                           << "train { batch_size: 32 steps: 30 eval_every_steps: 0 }\n"
                           << "parameter_server { mode: ASYNC servers: 2 }\n"
                           << "supervision { heartbeat_timeout_s: 1 stall_timeout_s: 5 }\n";
  }
  void TearDown() override {
    unsetenv("TF_CONFIG");
    SyntheticDataTest::TearDown();
  }

  // TF_CONFIG of task `type` `index` in the cluster chief P1, worker P2, ps P3 and P4.
  std::string TfConfig(const std::string& type, int index) const {
    const std::string p = prefix_;
    return R"({"cluster": {"chief": [")" + p + R"(1:2222"], "worker": [")" + p +
           R"(2:2222"], "ps": [")" + p + R"(3:2222", ")" + p + R"(4:2222"]}, "task": {"type": ")" +
           type + R"(", "index": )" + std::to_string(index) + "}}";
  }

  // `distsim server|worker --config ... --data-dir ...` with `tf_config` as $TF_CONFIG.
  testing::Spawned StartRole(const std::string& role, const std::string& tf_config) {
    setenv("TF_CONFIG", tf_config.c_str(), 1);
    testing::Spawned child =
        testing::Spawn({DISTSIM_BINARY, role, "--config", config_, "--data-dir", data_dir()});
    unsetenv("TF_CONFIG");
    return child;
  }

  std::string prefix_;
  std::string config_;
};

TEST_F(TfConfigRolesTest, ATfJobsReplicasTrainToTheEnd) {
  const std::string out = (dir_ / "out").string();
  testing::Spawned coordinator =
      testing::Spawn({DISTSIM_BINARY, "coordinator", config_, "--data-dir", data_dir(), "--listen",
                      prefix_ + "1:2222", "--out", out});
  std::vector<testing::Spawned> roles = {
      StartRole("server", TfConfig("ps", 0)), StartRole("server", TfConfig("ps", 1)),
      StartRole("worker", TfConfig("chief", 0)), StartRole("worker", TfConfig("worker", 0))};
  for (testing::Spawned& role : roles) {
    const testing::Finished done = testing::Wait(role, 60);
    EXPECT_EQ(done.exit_code, 0) << done.err;
  }
  const testing::Finished done = testing::Wait(coordinator, 30);
  ASSERT_EQ(done.exit_code, 0) << done.err;
  auto result = report::ReadResultJson(out + "/tfjob/result.json");
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->worker_stats_size(), 2);
  EXPECT_EQ(result->worker_stats(0).steps(), 30u);
  EXPECT_EQ(result->worker_stats(1).steps(), 30u);
  ASSERT_EQ(result->server_stats_size(), 2);
  // ps i served at its own cluster address: the servers' updates are the workers' steps.
  EXPECT_EQ(result->server_stats(0).updates_applied() + result->server_stats(1).updates_applied(),
            2u * 60u);
}

TEST_F(TfConfigRolesTest, ASpecThatDoesNotMatchTheConfigIsRefused) {
  const std::string p = prefix_;
  const std::string three_workers = R"({"cluster": {"chief": [")" + p + R"(1:2222"], "worker": [")" +
                                    p + R"(2:2222", ")" + p + R"(5:2222"], "ps": [")" + p +
                                    R"(3:2222", ")" + p +
                                    R"(4:2222"]}, "task": {"type": "worker", "index": 1}})";
  const testing::Finished wrong = testing::Wait(StartRole("worker", three_workers), 30);
  EXPECT_EQ(wrong.exit_code, kExitConfig) << wrong.err;
  EXPECT_THAT(wrong.err, HasSubstr("TF_CONFIG: the cluster has 3 workers (chief included) and 2 "
                                   "ps, but " + config_ + " runs 2 workers and 2 servers"));
  const testing::Finished other = testing::Wait(StartRole("server", TfConfig("worker", 0)), 30);
  EXPECT_EQ(other.exit_code, kExitConfig) << other.err;
  EXPECT_THAT(other.err, HasSubstr("names a chief or worker task, which `distsim worker` runs"));
  const testing::Finished nothing = testing::Run(
      {DISTSIM_BINARY, "worker", "--config", config_, "--data-dir", data_dir()}, 30);
  EXPECT_EQ(nothing.exit_code, kExitUsage) << nothing.err;
  EXPECT_THAT(nothing.err, HasSubstr("unless $TF_CONFIG"));
}

}  // namespace
}  // namespace distsim
