// Multi-host `distsim train` jobs on one machine, as SageMaker would run them on several: each
// host's `distsim train` a process of its own with its own /opt/ml tree, the hosts on loopback
// aliases of their own (a hosts file maps algo-1.. to them), every role on its host's address
// at TensorFlow's ports (coordinator 2222, servers 2223). The truth each test checks comes from
// what the test laid into the channels and from the saved model evaluated afresh.
#include <signal.h>
#include <sys/wait.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "google/protobuf/util/json_util.h"
#include "sim/base/status.h"
#include "sim/data/dataset.h"
#include "sim/node/factory.h"
#include "sim/node/model_export.h"
#include "sim/node/train_loop.h"
#include "sim/report/result_io.h"
#include "tests/app/train_tree.h"

namespace distsim {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

// Small and quick: a 16-unit MLP, a 1 s heartbeat and a 5 s stall timeout.
std::string JobConfig(const std::string& length) {
  return "seed: 3 model { mlp { hidden: 16 } } optimizer { sgd { learning_rate: 0.1 } } "
         "train { batch_size: 32 " + length + " eval_every_steps: 0 } "
         "supervision { heartbeat_timeout_s: 1 stall_timeout_s: 5 join_timeout_s: 40 }";
}

class TrainHostsTest : public testing::TrainTreeTest {
 protected:
  void SetUp() override {
    TrainTreeTest::SetUp();
    testing::BecomeSubreaper();  // the roles of a host the test kills are reaped here
    prefix_ = testing::LoopbackPrefix();
    hosts_file_ = (dir_ / "hosts").string();
  }

  void TearDown() override {
    for (int pid : testing::ProcessesMentioning(dir_.string())) kill(pid, SIGKILL);
    testing::ReapOrphans();
    TrainTreeTest::TearDown();
  }

  // The trees of `hosts` hosts (algo-1 ... algo-<hosts>), host h's train channel holding
  // `keys[h]`; returns their roots.
  std::vector<std::string> Trees(int hosts, const std::string& distribution,
                                 const std::vector<std::vector<int64_t>>& keys,
                                 const std::string& config) {
    testing::WriteHostsFile(hosts_file_, prefix_, hosts);
    std::vector<std::string> all, roots;
    for (int h = 1; h <= hosts; ++h) all.push_back("algo-" + std::to_string(h));
    for (int h = 0; h < hosts; ++h) {
      testing::HostTree tree;
      tree.hosts = all;
      tree.current_host = all[h];
      tree.distribution = distribution;
      tree.keys = keys[h];
      tree.hyperparameters = {{"distsim_config", config}, {"sagemaker_program", "\"x.py\""}};
      roots.push_back(Root(tree, all[h]));
    }
    return roots;
  }

  testing::Spawned StartHost(const std::string& root) {
    return Start(root, {"--hosts-file", hosts_file_});
  }

  // Waits until the chief has recorded a few steps (the job is training).
  static bool Training(const std::string& chief_root) {
    return testing::Eventually(
        [&] {
          const std::string csv = testing::ReadText(chief_root + "/output/data/steps.csv");
          return std::count(csv.begin(), csv.end(), '\n') > 5;
        },
        40);
  }

  bool NothingLeftRunning() {
    return testing::Eventually(
        [&] {
          testing::ReapOrphans();
          return testing::ProcessesMentioning(dir_.string()).empty();
        },
        15);
  }

  static ProcessSummary Report(const std::string& path) {
    ProcessSummary summary;
    EXPECT_TRUE(
        google::protobuf::util::JsonStringToMessage(testing::ReadText(path), &summary).ok())
        << path;
    return summary;
  }

  // Examples the objects `keys` hold, from the store the test cut.
  uint64_t Examples(const std::vector<int64_t>& keys) const {
    uint64_t n = 0;
    for (int64_t k : keys) n += store_.ids[k].size();
    return n;
  }

  // Bytes of the files under a host's input/data (what it downloaded).
  static uint64_t ChannelBytes(const std::string& root) {
    uint64_t bytes = 0;
    for (const auto& e : fs::recursive_directory_iterator(root + "/input/data")) {
      if (e.is_regular_file()) bytes += e.file_size();
    }
    return bytes;
  }

  std::string prefix_;
  std::string hosts_file_;
};

TEST_F(TrainHostsTest, TwoHostsTrainWhenOneStartsTenSecondsLate) {
  const std::vector<std::string> roots =
      Trees(2, "FullyReplicated", {{0, 1, 2, 3}, {0, 1, 2, 3}}, JobConfig("steps: 60"));
  testing::Spawned chief = StartHost(roots[0]);
  std::this_thread::sleep_for(std::chrono::seconds(10));  // algo-2 comes up late
  testing::Spawned other = StartHost(roots[1]);
  const testing::Finished chief_done = testing::Wait(chief, 60);
  const testing::Finished other_done = testing::Wait(other, 30);
  ASSERT_EQ(chief_done.exit_code, 0) << chief_done.err;
  ASSERT_EQ(other_done.exit_code, 0) << other_done.err;
  for (const std::string& root : roots) EXPECT_TRUE(fs::exists(root + "/output/success"));
  auto result = report::ReadResultJson(roots[0] + "/output/data/result.json");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(result->strategy(), HasSubstr("parameter_server ASYNC, 2 servers (COLOCATED)"));
  EXPECT_EQ(result->config().parameter_server().partitioning(),
            ParameterServerStrategy::ROUND_ROBIN_TENSORS);
  ASSERT_EQ(result->worker_stats_size(), 2);
  EXPECT_EQ(result->worker_stats(0).steps(), 60u);
  EXPECT_EQ(result->worker_stats(1).steps(), 60u);
  // The other host kept what its processes reported.
  EXPECT_EQ(Report(roots[1] + "/output/data/worker-1.json").steps(), 60u);
  EXPECT_GT(Report(roots[1] + "/output/data/server-1.json").updates_applied(), 0u);
  EXPECT_FALSE(fs::exists(roots[1] + "/model/model.json")) << "only the chief writes the model";
  // The chief's model, evaluated afresh, gives the accuracy it reported.
  std::vector<float> params;
  auto model = node::ReadModel(roots[0] + "/model", &params);
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->parameter_count(), result->parameter_count());
  auto sets = data::OpenIdxDir(data_dir(), 0, 0);
  auto net = node::MakeModel(model->model(), model->input_rows(), model->input_cols(),
                             static_cast<int>(model->classes()));
  ASSERT_TRUE(sets.ok() && net.ok());
  EXPECT_DOUBLE_EQ(node::Evaluate(**net, params, sets->second).accuracy,
                   result->final_test_accuracy());
  // Every host held the whole set: N is known, and so is each download.
  EXPECT_EQ(result->data().examples(), 1200u);
  EXPECT_GT(result->modelled().download_seconds(), 0);
  EXPECT_TRUE(NothingLeftRunning());
}

// ShardedByS3Key: each host's channel holds its own objects (host h: objects h and h + 3 of
// six, of sizes 100, 200, 300, 100, 200, 300: 200, 400 and 600 examples a host); each worker reads exactly those for one epoch, and the chief, which
// sees only its own, assembles the job's data from the workers' reports.
class ShardedHostsTest : public TrainHostsTest {
 protected:
  data::DistributionSpec ObjectsSpec() const override {
    data::DistributionSpec spec;
    spec.objects = 6;
    spec.object_weights = {1, 2, 3, 1, 2, 3};
    return spec;
  }
};

TEST_F(ShardedHostsTest, EachHostTrainsOnExactlyItsChannel) {
  const std::vector<std::vector<int64_t>> keys = {{0, 3}, {1, 4}, {2, 5}};
  const std::vector<std::string> roots =
      Trees(3, "ShardedByS3Key", keys, JobConfig("epochs: 1"));
  std::vector<testing::Spawned> hosts(3);
  for (int h = 2; h >= 0; --h) {  // hosts come up in any order
    hosts[h] = StartHost(roots[h]);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  for (int h = 0; h < 3; ++h) {
    const testing::Finished done = testing::Wait(hosts[h], 60);
    EXPECT_EQ(done.exit_code, 0) << "algo-" << h + 1 << ": " << done.err;
  }
  auto result = report::ReadResultJson(roots[0] + "/output/data/result.json");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->config().data().distribution(), DataConfig::SHARDED_BY_KEY);
  ASSERT_EQ(result->data().hosts_size(), 3);
  for (int h = 0; h < 3; ++h) {
    const uint64_t n = Examples(keys[h]);
    const ProcessSummary worker = Report(roots[h] + "/output/data/worker-" + std::to_string(h) +
                                         ".json");
    EXPECT_EQ(worker.channel_examples(), n) << h;
    EXPECT_EQ(worker.distinct_examples(), n) << h;  // every example of its channel, no other
    EXPECT_EQ(worker.steps(), static_cast<uint64_t>(std::ceil(n / 32.0))) << h;
    const HostData& data = result->data().hosts(h);
    EXPECT_EQ(data.name(), "algo-" + std::to_string(h + 1));
    EXPECT_THAT(data.objects(), ElementsAreArray(std::vector<uint32_t>(keys[h].begin(),
                                                                       keys[h].end())));
    EXPECT_EQ(data.examples(), n);
    EXPECT_EQ(result->modelled().host_download_bytes(h), ChannelBytes(roots[h])) << h;
  }
  EXPECT_EQ(result->data().examples(), 1200u);  // the shards together
  EXPECT_GT(result->modelled().download_seconds(), 0);
  ASSERT_GT(result->left_out_size(), 0);
  EXPECT_THAT(result->left_out(0), HasSubstr("each host sees only its own channel"));
  EXPECT_TRUE(NothingLeftRunning());
}

TEST_F(TrainHostsTest, KillingOneHostStopsTheOthersNamingIt) {
  const std::vector<int64_t> all = {0, 1, 2, 3};
  const std::vector<std::string> roots =
      Trees(3, "FullyReplicated", {all, all, all}, JobConfig("steps: 1000000"));
  std::vector<testing::Spawned> hosts;
  for (const std::string& root : roots) hosts.push_back(StartHost(root));
  ASSERT_TRUE(Training(roots[0]));
  kill(hosts[1].pid, SIGKILL);  // algo-2 goes away; its roles die with its launcher
  const testing::Finished killed = testing::Wait(hosts[1], 10);
  EXPECT_EQ(killed.signal, SIGKILL);
  for (int h : {0, 2}) {
    const testing::Finished done = testing::Wait(hosts[h], 40);
    EXPECT_EQ(done.exit_code, kExitUnavailable) << "algo-" << h + 1 << ": " << done.err;
    EXPECT_LT(done.seconds, 30);
    EXPECT_THAT(testing::ReadText(roots[h] + "/output/failure"), HasSubstr("on algo-2"))
        << "algo-" << h + 1;
  }
  EXPECT_TRUE(NothingLeftRunning());
}

// The chief's host going away takes the coordinator with it: the others see it stop answering.
TEST_F(TrainHostsTest, KillingTheChiefStopsTheOthersNamingIt) {
  const std::vector<int64_t> all = {0, 1, 2, 3};
  const std::vector<std::string> roots =
      Trees(2, "FullyReplicated", {all, all}, JobConfig("steps: 1000000"));
  std::vector<testing::Spawned> hosts;
  for (const std::string& root : roots) hosts.push_back(StartHost(root));
  ASSERT_TRUE(Training(roots[0]));
  kill(hosts[0].pid, SIGKILL);
  EXPECT_EQ(testing::Wait(hosts[0], 10).signal, SIGKILL);
  const testing::Finished done = testing::Wait(hosts[1], 40);
  EXPECT_EQ(done.exit_code, kExitUnavailable) << done.err;
  EXPECT_LT(done.seconds, 30);
  EXPECT_THAT(testing::ReadText(roots[1] + "/output/failure"),
              HasSubstr("algo-1, the chief (" + prefix_ + "1:2222), went away"));
  EXPECT_TRUE(NothingLeftRunning());
}

TEST_F(TrainHostsTest, SigtermStopsEveryProcessAndExits143) {
  const std::vector<int64_t> all = {0, 1, 2, 3};
  const std::vector<std::string> roots =
      Trees(2, "FullyReplicated", {all, all}, JobConfig("steps: 1000000"));
  std::vector<testing::Spawned> hosts;
  for (const std::string& root : roots) hosts.push_back(StartHost(root));
  ASSERT_TRUE(Training(roots[0]));
  for (const testing::Spawned& host : hosts) kill(host.pid, SIGTERM);  // as SageMaker stops a job
  for (int h = 0; h < 2; ++h) {
    const testing::Finished done = testing::Wait(hosts[h], 60);
    EXPECT_EQ(done.exit_code, 143) << "algo-" << h + 1 << ": " << done.err;
    EXPECT_LT(done.seconds, 20) << "well within SageMaker's 120 s before SIGKILL";
    EXPECT_THAT(testing::ReadText(roots[h] + "/output/failure"), HasSubstr("SIGTERM"));
  }
  EXPECT_TRUE(NothingLeftRunning());
}

}  // namespace
}  // namespace distsim
