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
  EXPECT_EQ(names,
            (std::vector<std::string>{"local_1w_fully_replicated", "local_1w_global_batch_slice",
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

TEST(ExpandCompare, SweepWarmupIsSetOnEveryScaledRun) {
  CompareConfig c = Parse(std::string("name: \"s\"") + kBase + R"(
runs { name: "explicit" overrides { local {} } }
sweep {
  workers: [2, 4]
  strategies { name: "local" local {} }
  strategies { name: "ring" allreduce {} optimizer { warmup_steps: 9 } }
  lr_scaling: LINEAR
  warmup_steps: 50
})");
  auto entries = ExpandCompare(c, "f");
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 4u);  // explicit, local_2w, ring_2w, ring_4w
  EXPECT_EQ((*entries)[0].name, "explicit");
  EXPECT_EQ((*entries)[0].config.optimizer().warmup_steps(), 0u);  // not part of the sweep
  for (size_t i = 1; i < entries->size(); ++i) {
    const RunConfig& run = (*entries)[i].config;
    EXPECT_EQ(run.optimizer().warmup_steps(), 50u) << (*entries)[i].name;  // replaces the 9
    EXPECT_NEAR(run.optimizer().sgd().learning_rate(), 0.1 * run.workers(), 1e-6);
  }

  // SQRT too; without sweep.warmup_steps the base's warm-up is kept.
  CompareConfig sqrt = Parse(std::string("name: \"s\"") + kBase + R"(
sweep { workers: [4] strategies { name: "ps" parameter_server {} } lr_scaling: SQRT })");
  sqrt.mutable_base()->mutable_optimizer()->set_warmup_steps(7);
  entries = ExpandCompare(sqrt, "f");
  ASSERT_TRUE(entries.ok()) << entries.status();
  EXPECT_EQ((*entries)[0].config.optimizer().warmup_steps(), 7u);
  sqrt.mutable_sweep()->set_warmup_steps(1000000);
  entries = ExpandCompare(sqrt, "f");
  ASSERT_TRUE(entries.ok()) << entries.status();
  EXPECT_EQ((*entries)[0].config.optimizer().warmup_steps(), 1000000u);
}

TEST(ExpandCompare, SweepWarmupNeedsScalingAndARange) {
  CompareConfig c = Parse(std::string("name: \"s\"") + kBase + R"(
sweep { workers: [2] strategies { name: "ring" allreduce {} } warmup_steps: 50 })");
  auto entries = ExpandCompare(c, "f");
  ASSERT_FALSE(entries.ok());
  EXPECT_EQ(entries.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(entries.status().message().find(
                "f: sweep.warmup_steps: 50 applies only to runs whose learning rate is scaled, "
                "but lr_scaling is NONE"),
            std::string::npos)
      << entries.status();

  c.mutable_sweep()->set_lr_scaling(Sweep::LINEAR);
  c.mutable_sweep()->set_warmup_steps(1000001);
  entries = ExpandCompare(c, "f");
  ASSERT_FALSE(entries.ok());
  EXPECT_EQ(entries.status().message(),
            "f: sweep.warmup_steps: 1000001 is out of range; must be in [0, 1000000]");
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

TEST(ExpandCompare, RefusesMoreRunsThanTheLimitBeforeExpanding) {
  // 11 x 10 x 10 sweep points: 1100 runs. (A 3 KB config found by fuzz_config_text named 3.6
  // million, and expanding them took over 512 MB.)
  std::string sweep = "sweep { workers: [";
  for (int i = 0; i < 11; ++i) sweep += i == 0 ? "2" : ", 2";
  sweep += "] distributions: [";
  for (int i = 0; i < 10; ++i) sweep += i == 0 ? "FULLY_REPLICATED" : ", FULLY_REPLICATED";
  sweep += "]";
  for (int i = 0; i < 10; ++i) sweep += " strategies { allreduce {} }";
  sweep += " }";
  auto entries = ExpandCompare(Parse(std::string("name: \"c\"") + kBase + sweep), "f");
  ASSERT_EQ(entries.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(entries.status().message(),
            "f: runs, sweep: the comparison names more than 1000 runs (0 listed; a sweep of 11 "
            "worker counts x 10 strategies x 10 distributions); at most 1000 are allowed");
  // Exactly at the limit it expands (and then refuses the runs' duplicate names).
  std::string at_limit = "sweep { workers: [";
  for (int i = 0; i < 10; ++i) at_limit += i == 0 ? "2" : ", 2";
  at_limit += "] }";
  std::string runs;
  for (int i = 0; i < 990; ++i) runs += "runs { overrides { local {} } }";
  auto expanded = ExpandCompare(Parse(std::string("name: \"c\"") + kBase + at_limit + runs), "f");
  ASSERT_FALSE(expanded.ok());
  EXPECT_EQ(std::string(expanded.status().message()).find("more than 1000"), std::string::npos);
}

TEST(ExpandCompare, ClaimsNameTwoRunsOfTheComparisonAMeasureAndAFigure) {
  const std::string runs = R"(
runs { name: "m2_sharded" group: "2" overrides { local {} } }
runs { name: "m2_replicated" group: "2" overrides { local {} } }
runs { name: "tf_1_host" group: "1" overrides { local {} } }
)";
  CompareConfig good = Parse(std::string("name: \"c\"") + kBase + runs + R"(
claims { group: "2" source: "workshop" text: "trained almost 4 times as fast" measure: SPEEDUP
         run: "m2_sharded" other: "m2_replicated" value: 4 }
claims { text: "performs just slightly better" measure: ACCURACY_GAP run: "m2_sharded"
         other: "m2_replicated" })");
  auto entries = ExpandCompare(good, "f");
  ASSERT_TRUE(entries.ok()) << entries.status();
  EXPECT_EQ(entries->size(), 3u);

  CompareConfig bad = Parse(std::string("name: \"c\"") + kBase + runs + R"(
claims { measure: SPEEDUP run: "x" other: "m2_replicated" value: 4 }
claims { group: "2" measure: ACCURACY_GAP run: "m2_sharded" other: "tf_1_host" }
claims { run: "m2_sharded" other: "m2_sharded" value: -1 }
claims { measure: SPEEDUP run: "m2_sharded" })");
  entries = ExpandCompare(bad, "f");
  ASSERT_FALSE(entries.ok());
  EXPECT_EQ(entries.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(entries.status().message(),
            "f: claims[0].run: \"x\" is not a run of this comparison; runs are m2_sharded, "
            "m2_replicated, tf_1_host\n"
            "f: claims[1].other: \"tf_1_host\" is in group \"1\", not in the claim's group \"2\"\n"
            "f: claims[2].other: \"m2_sharded\" is the claim's run too; a claim compares two runs\n"
            "f: claims[2].measure: is unset; set SPEEDUP or ACCURACY_GAP\n"
            "f: claims[2].value: -1 is out of range; must be >= 0 (0: only the direction is "
            "claimed)\n"
            "f: claims[3].other: is empty; name a run of this comparison");
}

TEST(ExpandCompare, NoRunsIsAnError) {
  CompareConfig c = Parse(std::string("name: \"x\"") + kBase);
  auto entries = ExpandCompare(c, "f");
  ASSERT_FALSE(entries.ok());
  EXPECT_NE(entries.status().message().find("no runs"), std::string::npos);
}

}  // namespace
}  // namespace distsim::config
