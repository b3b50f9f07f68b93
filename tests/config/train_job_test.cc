// The job `distsim train` derives from SageMaker's files (sagemaker_job.h), TensorFlow's cluster
// spec mapped onto distsim's roles (tf_config.h) and the hosts file (hosts_file.h): each rule
// of their header comments, and each mistake named.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/config/hosts_file.h"
#include "sim/config/sagemaker_job.h"
#include "sim/config/tf_config.h"

namespace distsim::config {
namespace {

using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::ElementsAre;

SageMakerInput Job(int hosts, bool sharded, std::map<std::string, std::string> hp) {
  SageMakerInput input;
  input.root = "/opt/ml";
  for (int h = 1; h <= hosts; ++h) input.resource.hosts.push_back("algo-" + std::to_string(h));
  input.resource.current_host = "algo-1";
  input.resource.network_interface_name = "eth1";
  ChannelConfig train;
  train.name = "train";
  train.sharded = sharded;
  ChannelConfig test;
  test.name = "test";
  input.channels = {test, train};
  input.test_channel = "test";
  input.hyperparameters = std::move(hp);
  return input;
}

TEST(TrainConfigTest, SeveralHostsRunSageMakersParameterServerLayout) {
  absl::StatusOr<RunConfig> config =
      TrainConfigOf(Job(3, true, {{"model", "mlp"}, {"epochs", "2"}, {"batch_size", "32"},
                                  {"learning_rate", "0.1"}}));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->workers(), 3u);
  ASSERT_TRUE(config->has_parameter_server());
  const ParameterServerStrategy& ps = config->parameter_server();
  EXPECT_EQ(ps.placement(), ParameterServerStrategy::COLOCATED);
  EXPECT_EQ(ps.servers(), 3u);  // a shard on every host
  EXPECT_EQ(ps.partitioning(), ParameterServerStrategy::ROUND_ROBIN_TENSORS);
  EXPECT_EQ(ps.mode(), ParameterServerStrategy::ASYNC);
  EXPECT_EQ(config->data().distribution(), DataConfig::SHARDED_BY_KEY);
  EXPECT_EQ(config->supervision().join_timeout_s(), kDefaultJoinTimeoutS);
}

TEST(TrainConfigTest, TheHyperparametersChooseWhatTheLayoutLeavesOpen) {
  absl::StatusOr<RunConfig> config = TrainConfigOf(Job(
      2, false,
      {{"mode", "sync"},
       {"model", "softmax"},
       {"distsim_data_distribution", "GLOBAL_BATCH_SLICE"},
       {"distsim_config",
        "parameter_server { partitioning: BALANCED_RANGES } train { batch_size: 8 steps: 5 } "
        "optimizer { sgd { learning_rate: 0.1 } } supervision { join_timeout_s: 20 }"}}));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->parameter_server().mode(), ParameterServerStrategy::SYNC);
  EXPECT_EQ(config->parameter_server().partitioning(), ParameterServerStrategy::BALANCED_RANGES);
  EXPECT_EQ(config->data().distribution(), DataConfig::GLOBAL_BATCH_SLICE);
  EXPECT_EQ(config->supervision().join_timeout_s(), 20);
}

TEST(TrainConfigTest, OneHostTrainsAlone) {
  absl::StatusOr<RunConfig> config = TrainConfigOf(Job(
      1, false, {{"mode", "async"}, {"model", "cnn"}, {"optimizer", "adam"},
                 {"learning_rate", "0.001"}, {"batch_size", "100"}, {"training_steps", "50"}}));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->has_local());
  EXPECT_EQ(config->workers(), 1u);
  EXPECT_EQ(config->train().steps(), 50u);  // one process's global step is its own
}

TEST(TrainConfigTest, MistakesNameTheKey) {
  const std::string base =
      "model { softmax {} } train { batch_size: 8 steps: 5 } optimizer { sgd { learning_rate: 1 } }";
  const struct {
    SageMakerInput input;
    const char* says;
  } cases[] = {
      {Job(2, true, {{"distsim_config", base}, {"distsim_data_distribution", "FULLY_REPLICATED"}}),
       "distsim_data_distribution: FULLY_REPLICATED contradicts the train channel's "
       "S3DistributionType ShardedByS3Key"},
      {Job(2, true, {{"distsim_config", base + " data { distribution: GLOBAL_BATCH_SLICE }"}}),
       "distsim_config: data.distribution: GLOBAL_BATCH_SLICE contradicts"},
      {Job(2, false, {{"distsim_config", base + " allreduce {}"}}),
       "distsim_config: strategy allreduce: distsim train runs SageMaker's parameter-server "
       "layout"},
      {Job(2, false, {{"distsim_config", base + " parameter_server { placement: DEDICATED }"}}),
       "parameter_server.placement DEDICATED"},
      {Job(2, false, {{"distsim_config", base + " workers: 4"}}),
       "distsim_config: workers 4, but the job has 2 hosts"},
      {Job(2, false,
           {{"distsim_config", base + " cluster { network { bandwidth_gbps: 1 shape: true } }"}}),
       "cluster.network.shape"},
      {Job(2, false, {{"distsim_config", base}, {"learning_rate", "100"}}),
       "the config the hyperparameters make: optimizer.sgd.learning_rate"},
  };
  for (const auto& c : cases) {
    absl::StatusOr<RunConfig> config = TrainConfigOf(c.input);
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument) << c.says;
    EXPECT_THAT(config.status().message(), HasSubstr("/opt/ml/input/config/hyperparameters.json"));
    EXPECT_THAT(config.status().message(), HasSubstr(c.says));
  }
}

// SageMaker's legacy layout for 2 hosts, as algo-2 sees it (reference: the toolkit's TF_CONFIG).
TEST(TfConfigTest, SageMakersLegacyClusterMapsOntoDistsimsRanks) {
  const std::string cluster =
      R"("cluster": {"master": ["algo-1:2222"], "ps": ["algo-1:2223", "algo-2:2223"],
                     "worker": ["algo-2:2222"]}, "environment": "cloud")";
  absl::StatusOr<TfRole> worker =
      RoleFromTfConfig("{" + cluster + R"(, "task": {"index": 0, "type": "worker"}})");
  ASSERT_TRUE(worker.ok()) << worker.status();
  EXPECT_FALSE(worker->server);
  EXPECT_EQ(worker->rank, 1u);  // the master is worker 0
  EXPECT_EQ(worker->coordinator, "algo-1:2222");
  EXPECT_EQ(worker->bind_host, "algo-2");
  EXPECT_EQ(worker->bind_port, 0);
  EXPECT_EQ(worker->workers, 2u);
  EXPECT_EQ(worker->servers, 2u);
  absl::StatusOr<TfRole> master =
      RoleFromTfConfig("{" + cluster + R"(, "task": {"index": 0, "type": "master"}})");
  ASSERT_TRUE(master.ok());
  EXPECT_EQ(master->rank, 0u);
  absl::StatusOr<TfRole> ps =
      RoleFromTfConfig("{" + cluster + R"(, "task": {"index": 1, "type": "ps"}})");
  ASSERT_TRUE(ps.ok());
  EXPECT_TRUE(ps->server);
  EXPECT_EQ(ps->rank, 1u);
  EXPECT_EQ(ps->bind_host, "algo-2");
  EXPECT_EQ(ps->bind_port, 2223);
}

TEST(TfConfigTest, WithoutAChiefWorkerZeroIsTheChief) {
  absl::StatusOr<TfRole> role = RoleFromTfConfig(
      R"({"cluster": {"worker": ["job-worker-0.ns.svc:2222", "job-worker-1.ns.svc:2222"]},
          "task": {"type": "worker", "index": 1}})");
  ASSERT_TRUE(role.ok()) << role.status();
  EXPECT_EQ(role->rank, 1u);
  EXPECT_EQ(role->coordinator, "job-worker-0.ns.svc:2222");
  EXPECT_EQ(role->servers, 0u);
}

TEST(TfConfigTest, MistakesNameTheKey) {
  const std::string cluster = R"("cluster": {"chief": ["c:2222"], "worker": ["w:2222"]})";
  const struct {
    std::string json;
    const char* says;
  } cases[] = {
      {"{" + cluster + R"(, "task": {"type": "evaluator", "index": 0}})",
       "TF_CONFIG: task.type: \"evaluator\" has no distsim role"},
      {"{" + cluster + R"(, "task": {"type": "worker", "index": 1}})",
       "TF_CONFIG: task.index: 1 but cluster.worker lists 1"},
      {"{" + cluster + "}", "TF_CONFIG: task: missing"},
      {R"({"cluster": {"chief": ["c"]}, "task": {"type": "chief"}})",
       "cluster.chief[0]: \"c\" is not host:port"},
      {R"({"cluster": {"chief": ["a:1"], "master": ["b:1"]}, "task": {"type": "chief"}})",
       "more than one chief"},
      {R"({"task": {"type": "chief"}})", "TF_CONFIG: cluster: missing"},
      {"not json", "TF_CONFIG: not a JSON object"},
  };
  for (const auto& c : cases) {
    absl::StatusOr<TfRole> role = RoleFromTfConfig(c.json);
    EXPECT_EQ(role.status().code(), absl::StatusCode::kInvalidArgument) << c.json;
    EXPECT_THAT(role.status().message(), HasSubstr(c.says)) << c.json;
  }
}

TEST(HostsFileTest, NamesAndAliasesMapToTheirAddress) {
  absl::StatusOr<std::map<std::string, std::string>> table = ParseHostsFile(
      "# the job's hosts\n127.0.0.1 localhost\n::1 localhost ip6-localhost\n"
      "127.0.0.2\talgo-2 algo-2.local   # an alias\n\n10.0.0.9 algo-2\n",
      "hosts");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_THAT(*table, ElementsAre(Pair("algo-2", "127.0.0.2"),  // the first line wins
                                  Pair("algo-2.local", "127.0.0.2"),
                                  Pair("localhost", "127.0.0.1")));
  EXPECT_THAT(ParseHostsFile("127.0.0.1\n", "h").status().message(),
              HasSubstr("h:1: an address without a host name"));
  EXPECT_THAT(ParseHostsFile("# x\n127.0.0.300 a\n", "h").status().message(),
              HasSubstr("h:2: \"127.0.0.300\" is not an IPv4 address"));
}

}  // namespace
}  // namespace distsim::config
