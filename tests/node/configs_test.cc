// The shipped configs load, validate, and are exactly the runs the README and issue quote.
#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "sim/config/compare.h"
#include "sim/config/config.h"
#include "sim/config/instances.h"
#include "sim/config/staleness.h"

namespace distsim {
namespace {

RunConfig Load(const std::string& name) {
  std::string path = std::string(DISTSIM_SOURCE_DIR) + "/configs/" + name;
  absl::StatusOr<RunConfig> c = config::LoadRunConfig(path);
  EXPECT_TRUE(c.ok()) << c.status();
  if (!c.ok()) return RunConfig();
  RunConfig filled = config::WithDefaults(*c);
  absl::Status valid = config::ValidateRunConfig(filled);
  EXPECT_TRUE(valid.ok()) << path << ": " << valid;
  return filled;
}

// The message a config file holds, from its "# proto-message:" header line.
std::string ProtoMessageOf(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const std::string key = "# proto-message: ";
    if (line.rfind(key, 0) == 0) return line.substr(key.size());
  }
  return "";
}

TEST(ShippedConfigs, EveryConfigLoadsAndValidates) {
  int runs = 0, compares = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(DISTSIM_SOURCE_DIR) + "/configs")) {
    if (entry.path().extension() != ".textproto") continue;
    SCOPED_TRACE(entry.path().string());
    const std::string message = ProtoMessageOf(entry.path());
    if (message == "distsim.CompareConfig") {
      CompareConfig compare;
      auto entries = config::LoadCompare(entry.path().string(), &compare);
      EXPECT_TRUE(entries.ok()) << entries.status();
      if (entries.ok()) {
        EXPECT_FALSE(entries->empty());
      }
      ++compares;
    } else if (message == "distsim.PredictConfig") {
      PredictConfig predict;
      ASSERT_TRUE(config::LoadMessage(entry.path().string(), &predict).ok());
      CompareConfig as_compare;
      *as_compare.mutable_base() = predict.calibration();
      as_compare.set_name(predict.name());
      as_compare.add_runs()->set_name("calibration");
      for (const CompareRun& c : predict.checks()) *as_compare.add_runs() = c;
      auto entries = config::ExpandCompare(config::WithCompareDefaults(as_compare), "predict");
      EXPECT_TRUE(entries.ok()) << entries.status();
    } else if (message == "distsim.StalenessStudyConfig") {
      absl::StatusOr<StalenessStudyConfig> study =
          config::LoadStalenessStudy(entry.path().string());
      EXPECT_TRUE(study.ok()) << study.status();
    } else if (message == "distsim.InstanceTable") {
      continue;  // checked by InstanceTable tests
    } else {
      EXPECT_EQ(message, "distsim.RunConfig") << "every config names its message";
      Load(entry.path().filename().string());
      ++runs;
    }
  }
  EXPECT_GE(runs, 3);
  EXPECT_GE(compares, 1);
}

// The compiled-in table is the shipped file, and every profile's GEMM speed is the arithmetic its
// sources state: physical cores x clock x FLOPs per cycle x efficiency.
TEST(ShippedConfigs, InstanceTableIsBuiltInAndConsistent) {
  InstanceTable file;
  ASSERT_TRUE(config::LoadMessage(std::string(DISTSIM_SOURCE_DIR) + "/configs/instances.textproto",
                                  &file)
                  .ok());
  absl::StatusOr<InstanceTable> builtin = config::BuiltinInstances();
  ASSERT_TRUE(builtin.ok()) << builtin.status();
  EXPECT_EQ(builtin->SerializeAsString(), file.SerializeAsString());
  for (const char* name : {"ml.c4.xlarge", "ml.c4.8xlarge", "ml.c5.xlarge", "ml.c5.4xlarge",
                           "ml.c5.18xlarge", "ml.m5.xlarge"}) {
    SCOPED_TRACE(name);
    absl::StatusOr<InstanceProfile> p = config::FindInstance(name);
    ASSERT_TRUE(p.ok()) << p.status();
    const double expected =
        p->vcpus() / 2.0 * p->clock_ghz() * p->fp32_flops_per_cycle() * p->gemm_efficiency();
    EXPECT_NEAR(p->gemm_gflops(), expected, 0.051);
    EXPECT_GT(p->network_gbps(), 0);
    EXPECT_GT(p->price_per_hour_usd(), 0);
    EXPECT_GE(p->sources_size(), 3) << "every figure names where it came from";
  }
  EXPECT_FALSE(config::FindInstance("ml.x9.huge").ok());
}

TEST(ShippedConfigs, SoftmaxIsSgd01Batch64OneEpoch) {
  RunConfig c = Load("mnist_softmax.textproto");
  EXPECT_TRUE(c.model().has_softmax());
  EXPECT_FLOAT_EQ(c.optimizer().sgd().learning_rate(), 0.1f);
  EXPECT_EQ(c.train().batch_size(), 64u);
  EXPECT_DOUBLE_EQ(c.train().epochs(), 1.0);
  EXPECT_EQ(c.data().dataset(), DataConfig::MNIST);
}

TEST(ShippedConfigs, MlpIs784_128_10AdamBatch64FiveEpochs) {
  RunConfig c = Load("mnist_mlp.textproto");
  ASSERT_EQ(c.model().mlp().hidden_size(), 1);
  EXPECT_EQ(c.model().mlp().hidden(0), 128u);
  EXPECT_FLOAT_EQ(c.optimizer().adam().learning_rate(), 1e-3f);
  EXPECT_EQ(c.train().batch_size(), 64u);
  EXPECT_DOUBLE_EQ(c.train().epochs(), 5.0);
}

TEST(ShippedConfigs, CnnIsTheTutorialCnnAdamBatch100TwoEpochs) {
  RunConfig c = Load("mnist_cnn.textproto");
  const CnnModel& m = c.model().cnn();
  EXPECT_EQ(m.conv1_channels(), 32u);
  EXPECT_EQ(m.conv2_channels(), 64u);
  EXPECT_EQ(m.dense_units(), 1024u);
  EXPECT_FLOAT_EQ(m.dropout(), 0.4f);
  EXPECT_FLOAT_EQ(c.optimizer().adam().learning_rate(), 1e-3f);
  EXPECT_EQ(c.train().batch_size(), 100u);
  EXPECT_DOUBLE_EQ(c.train().epochs(), 2.0);
}

}  // namespace
}  // namespace distsim
