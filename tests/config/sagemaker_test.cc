// SageMaker's container contract: the three JSON files as SageMaker writes them, each mistake a
// clear InvalidArgument naming the field, and the hyperparameter table read and written back.
#include "sim/config/sagemaker.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "sim/config/config.h"

namespace distsim::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ResourceConfigTest, ElevenHostsSortAsStringsAndTheRankIsTheIndex) {
  std::string json = R"({"current_host": "algo-2", "hosts": [)";
  for (int h = 1; h <= 11; ++h) json += (h > 1 ? ", " : "") + ("\"algo-" + std::to_string(h) + "\"");
  json += R"(], "network_interface_name": "eth1"})";
  absl::StatusOr<ResourceConfig> r = ParseResourceConfig(json, "resourceconfig.json");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->hosts, ElementsAre("algo-1", "algo-10", "algo-11", "algo-2", "algo-3", "algo-4",
                                    "algo-5", "algo-6", "algo-7", "algo-8", "algo-9"));
  EXPECT_EQ(r->rank, 3);  // algo-2 comes after algo-1, algo-10 and algo-11
  EXPECT_EQ(r->network_interface_name, "eth1");
}

TEST(ResourceConfigTest, MistakesNameTheField) {
  const struct {
    const char* json;
    const char* says;
  } cases[] = {
      {R"({"current_host": "algo-3", "hosts": ["algo-1", "algo-2"]})",
       "rc.json: current_host: \"algo-3\" is not one of hosts (algo-1, algo-2)"},
      {R"({"hosts": ["algo-1"]})", "rc.json: current_host: missing"},
      {R"({"current_host": "algo-1", "hosts": []})", "rc.json: hosts: missing or empty"},
      {R"({"current_host": "algo-1", "hosts": ["algo-1", "algo-1"]})", "listed twice"},
      {R"({"current_host": )", "rc.json: not a JSON object"},
  };
  for (const auto& c : cases) {
    absl::StatusOr<ResourceConfig> r = ParseResourceConfig(c.json, "rc.json");
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << c.json;
    EXPECT_THAT(r.status().message(), HasSubstr(c.says)) << c.json;
  }
}

TEST(InputDataConfigTest, ChannelsWithTheirDistribution) {
  absl::StatusOr<std::vector<ChannelConfig>> channels = ParseInputDataConfig(
      R"({"train": {"ContentType": "x", "TrainingInputMode": "File",
                    "S3DistributionType": "ShardedByS3Key", "RecordWrapperType": "None"},
          "test": {"TrainingInputMode": "File", "S3DistributionType": "FullyReplicated"}})",
      "idc.json");
  ASSERT_TRUE(channels.ok()) << channels.status();
  ASSERT_EQ(channels->size(), 2u);
  EXPECT_EQ((*channels)[0].name, "test");
  EXPECT_FALSE((*channels)[0].sharded);
  EXPECT_EQ((*channels)[1].name, "train");
  EXPECT_TRUE((*channels)[1].sharded);
  // An unknown distribution names the channel; Pipe mode is refused.
  EXPECT_THAT(ParseInputDataConfig(R"({"train": {"S3DistributionType": "ByRecord"}})", "idc.json")
                  .status()
                  .message(),
              HasSubstr("idc.json: train.S3DistributionType: \"ByRecord\" is not"));
  EXPECT_THAT(ParseInputDataConfig(R"({"val": {"TrainingInputMode": "Pipe"}})", "idc.json")
                  .status()
                  .message(),
              HasSubstr("val.TrainingInputMode: \"Pipe\" is not supported"));
}

TEST(HyperparametersTest, ValuesAreDecodedWhereTheyParseAsJson) {
  absl::StatusOr<std::map<std::string, std::string>> hp = ParseHyperparameters(
      R"({"optimizer": "\"adam\"", "learning_rate": "0.001", "epochs": "2",
          "model": "cnn", "sagemaker_program": "\"mnist.py\"", "flag": true})",
      "hp.json");
  ASSERT_TRUE(hp.ok()) << hp.status();
  EXPECT_EQ(hp->at("optimizer"), "adam");
  EXPECT_EQ(hp->at("learning_rate"), "0.001");
  EXPECT_EQ(hp->at("model"), "cnn");  // not JSON: as it is
  EXPECT_EQ(hp->at("sagemaker_program"), "mnist.py");
  EXPECT_EQ(hp->at("flag"), "true");
  EXPECT_THAT(ParseHyperparameters(R"({"x": {"y": 1}})", "hp.json").status().message(),
              HasSubstr("hp.json: x: an object or a list"));
}

TEST(HyperparametersTest, TheTableFillsTheConfig) {
  RunConfig config;
  ASSERT_TRUE(ApplyHyperparameters({{"model", "cnn"},
                                    {"optimizer", "adam"},
                                    {"learning_rate", "0.001"},
                                    {"mini_batch_size", "100"},
                                    {"training_steps", "1000"},
                                    {"evaluation_steps", "100"},
                                    {"mode", "async"},
                                    {"sagemaker_parameter_server_enabled", "true"}},
                                   "hp.json", &config)
                  .ok());
  EXPECT_TRUE(config.model().has_cnn());
  EXPECT_FLOAT_EQ(config.optimizer().adam().learning_rate(), 0.001f);
  EXPECT_EQ(config.train().batch_size(), 100u);
  EXPECT_EQ(config.train().global_steps(), 1000u);
  EXPECT_EQ(config.data().test_limit(), 10000u);  // 100 batches of 100
  EXPECT_EQ(config.parameter_server().mode(), ParameterServerStrategy::ASYNC);
}

TEST(HyperparametersTest, MistakesNameTheKey) {
  const struct {
    std::map<std::string, std::string> hp;
    const char* says;
  } cases[] = {
      {{{"epochs", "two"}}, "hp.json: epochs: \"two\" is not a number > 0"},
      {{{"batch_size", "-3"}}, "hp.json: batch_size: \"-3\" is not a whole number"},
      {{{"optimizer", "rmsprop"}}, "hp.json: optimizer: \"rmsprop\" is not an optimizer"},
      {{{"mode", "eventual"}}, "hp.json: mode: \"eventual\" is not a mode"},
      {{{"distsim_config", "seed: \"x\""}}, "hp.json: distsim_config: does not parse"},
      {{{"learning_rte", "0.1"}}, "hp.json: learning_rte: not a distsim hyperparameter"},
  };
  for (const auto& c : cases) {
    RunConfig config;
    absl::Status status = ApplyHyperparameters(c.hp, "hp.json", &config);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.says;
    EXPECT_THAT(status.message(), HasSubstr(c.says));
  }
}

// What export-sagemaker writes, `distsim train` reads back into the same config.
TEST(HyperparametersTest, WrittenThenReadGivesTheConfigBack) {
  RunConfig config;
  ASSERT_TRUE(ParseMessage(R"(
    name: "round" seed: 7 workers: 3
    model { mlp { hidden: 64 } }
    data { dataset: MNIST distribution: GLOBAL_BATCH_SLICE objects: 6 }
    optimizer { momentum { learning_rate: 0.05 } }
    train { batch_size: 32 epochs: 1.5 }
    parameter_server { mode: SYNC placement: COLOCATED })",
                           ConfigSyntax::kText, "round", &config)
                  .ok());
  std::vector<std::string> notes;
  const std::map<std::string, std::string> written = HyperparametersFor(config, &notes);
  EXPECT_EQ(written.at("optimizer"), "\"momentum\"");
  EXPECT_EQ(written.at("learning_rate"), "0.05");  // the shortest text of the float
  EXPECT_EQ(written.at("epochs"), "1.5");
  EXPECT_EQ(written.at("mode"), "\"sync\"");
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_THAT(notes[0], HasSubstr("GLOBAL_BATCH_SLICE has no SageMaker equivalent"));
  // As SageMaker hands them over: a JSON object of strings.
  std::string json = "{";
  for (const auto& [key, value] : written) {
    if (json.size() > 1) json += ", ";
    std::string escaped;
    for (char c : value) {
      if (c == '"' || c == '\\') escaped.push_back('\\');
      escaped.push_back(c);
    }
    json += "\"" + key + "\": \"" + escaped + "\"";
  }
  json += "}";
  absl::StatusOr<std::map<std::string, std::string>> read = ParseHyperparameters(json, "hp.json");
  ASSERT_TRUE(read.ok()) << read.status() << "\n" << json;
  RunConfig back;
  ASSERT_TRUE(ApplyHyperparameters(*read, "hp.json", &back).ok());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(back, config))
      << back.DebugString();
}

}  // namespace
}  // namespace distsim::config
