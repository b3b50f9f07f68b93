// Compare configs: expansion of explicit runs and sweeps, and the errors a bad one gets.
#include "sim/config/compare.h"

#include <cmath>

#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace distsim::config {
namespace {

CompareConfig Parse(const std::string& text) {
  CompareConfig c;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &c)) << text;
  return WithCompareDefaults(c);
}

constexpr char kBase[] = R"(
base {
  seed: 5
  model { mlp { hidden: 32 } }
  data { dataset: IDX dir: "d" }
  optimizer { sgd { learning_rate: 0.1 } }
  train { batch_size: 16 steps: 10 }
}
)";

TEST(ExpandCompare, ExplicitRunsMergeTheirOverridesOverTheBase) {
  CompareConfig c = Parse(std::string("name: \"c\"") + kBase + R"(
runs { name: "a" group: "g" overrides { local {} } }
runs { name: "b" overrides { workers: 3 model { mlp { hidden: 8 hidden: 4 } }
                             train { global_steps: 7 } parameter_server { mode: SYNC } } }
)");
  auto entries = ExpandCompare(c, "f");
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 2u);
  const RunConfig& a = (*entries)[0].config;
  EXPECT_EQ(a.name(), "a");
  EXPECT_EQ((*entries)[0].group, "g");
  EXPECT_TRUE(a.has_local());
  EXPECT_EQ(a.train().steps(), 10u);
  EXPECT_EQ(a.seed(), 5u);
  const RunConfig& b = (*entries)[1].config;
  EXPECT_EQ(b.workers(), 3u);
  ASSERT_EQ(b.model().mlp().hidden_size(), 2);  // the list is replaced, not appended to
  EXPECT_EQ(b.model().mlp().hidden(0), 8u);
  EXPECT_EQ(b.train().global_steps(), 7u);  // the length oneof switches
  EXPECT_EQ(b.train().batch_size(), 16u);
  EXPECT_EQ(b.parameter_server().mode(), ParameterServerStrategy::SYNC);
  EXPECT_EQ(b.parameter_server().servers(), 1u);  // defaults filled
}

TEST(ExpandCompare, SweepCrossesStrategiesWorkersAndDistributions) {
  CompareConfig c = Parse(std::string("name: \"s\"") + kBase + R"(
sweep {
  workers: [1, 2, 4]
  strategies { name: "local" local {} }
  strategies { name: "ring" allreduce {} }
  distributions: [FULLY_REPLICATED, GLOBAL_BATCH_SLICE]
  lr_scaling: LINEAR
  group: "sweep"
}
)");
  auto entries = ExpandCompare(c, "f");
  ASSERT_TRUE(entries.ok()) << entries.status();
  std::vector<std::string> names;
  for (const auto& e : *entries) names.push_back(e.name);
  // local once per distribution (one process: not swept over workers), ring at every count.
  EXPECT_EQ(names, (std::vector<std::string>{
                       "local_1w_fully_replicated", "local_1w_global_batch_slice",
                       "ring_1w_fully_replicated", "ring_1w_global_batch_slice",
                       "ring_2w_fully_replicated", "ring_2w_global_batch_slice",
                       "ring_4w_fully_replicated", "ring_4w_global_batch_slice"}));
  for (const auto& e : *entries) {
    EXPECT_EQ(e.group, "sweep");
    const double lr = e.config.optimizer().sgd().learning_rate();
    EXPECT_NEAR(lr, 0.1 * e.config.workers(), 1e-6) << e.name;  // linear scaling
  }
  EXPECT_EQ((*entries)[6].config.workers(), 4u);
  EXPECT_EQ((*entries)[7].config.data().distribution(), DataConfig::GLOBAL_BATCH_SLICE);
}

TEST(ExpandCompare, SqrtScaling) {
  CompareConfig c = Parse(std::string("name: \"s\"") + kBase + R"(
sweep { workers: [4] strategies { name: "ps" parameter_server {} } lr_scaling: SQRT })");
  auto entries = ExpandCompare(c, "f");
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_NEAR((*entries)[0].config.optimizer().sgd().learning_rate(), 0.2, 1e-6);
  EXPECT_EQ((*entries)[0].name, "ps_4w");
}

TEST(ExpandCompare, RefusesEveryProblemAtOnceNamingTheRun) {
  CompareConfig c = Parse(std::string("name: \"\" repeats: 30 baseline: \"nope\"") + kBase + R"(
runs { name: "a" overrides { optimizer { sgd { learning_rate: 50 } } } }
runs { name: "a" baseline: "missing" }
)");
  auto entries = ExpandCompare(c, "f.textproto");
  ASSERT_FALSE(entries.ok());
  EXPECT_EQ(entries.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string m(entries.status().message());
  for (const char* needle :
       {"f.textproto: name: is empty", "repeats: 30 is out of range", "two runs are named \"a\"",
        "run \"a\": optimizer.sgd.learning_rate", "baseline: \"nope\" is not the name of a run",
        "baseline: \"missing\""}) {
    EXPECT_NE(m.find(needle), std::string::npos) << needle << "\n" << m;
  }
}

TEST(ExpandCompare, NoRunsIsAnError) {
  CompareConfig c = Parse(std::string("name: \"x\"") + kBase);
  auto entries = ExpandCompare(c, "f");
  ASSERT_FALSE(entries.ok());
  EXPECT_NE(entries.status().message().find("no runs"), std::string::npos);
}

}  // namespace
}  // namespace distsim::config
