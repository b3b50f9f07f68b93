// The shipped configs load, validate, and are exactly the runs the README and issue quote.
#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "sim/config/compare.h"
#include "sim/config/config.h"

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
      if (entries.ok()) EXPECT_FALSE(entries->empty());
      ++compares;
    } else {
      EXPECT_EQ(message, "distsim.RunConfig") << "every config names its message";
      Load(entry.path().filename().string());
      ++runs;
    }
  }
  EXPECT_GE(runs, 3);
  EXPECT_GE(compares, 1);
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
