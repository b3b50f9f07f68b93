// Golden values: three shipped configs, cut to 50 steps on the synthetic test data and modelled on
// the FLOPS clock (deterministic), must give exactly the bits recorded here. A change that moves
// them (a new summation order, another initialisation) changes these values in a commit that says
// why; a refactoring must leave them alone.
//
// Recorded on main at c2f0f7e, before sim/node was split (issue 10).
#include <unistd.h>

#include <filesystem>
#include <ostream>
#include <string>

#include "gtest/gtest.h"
#include "sim/data/synthetic.h"
#include "sim/report/result_io.h"
#include "tests/node/process_util.h"
#include "tests/testing/synthetic_data_test.h"

namespace distsim {
namespace {

namespace fs = std::filesystem;

struct Golden {
  const char* config;  // configs/<config>.textproto
  const char* parameter_hash;
  double final_test_accuracy;
  double final_test_loss;
  double modelled_seconds;
};

constexpr Golden kGolden[] = {
    {"mnist_mlp", "1c92f17e3006e6c7", 1.0, 0.0365241976082325, 0.005013717349674449},
    {"ps_sync_4w", "531dc8be09c586ef", 1.0, 0.02134826215604941, 1.057138517349675},
    {"ring_4w", "065280d6553bf524", 1.0, 0.021348260566592215, 0.21541211734967428},
};

void PrintTo(const Golden& golden, std::ostream* os) { *os << golden.config; }

class GoldenTest : public testing::SyntheticDataTest,
                   public ::testing::WithParamInterface<Golden> {};

TEST_P(GoldenTest, FiftyStepsGiveTheRecordedBits) {
  const Golden& golden = GetParam();
  const std::string config =
      std::string(DISTSIM_SOURCE_DIR) + "/configs/" + golden.config + ".textproto";
  testing::Finished done = testing::Run(
      {DISTSIM_BINARY, "run", config, "-q", "--data-dir", data_dir(), "--out",
       (dir_ / "out").string(), "--set",
       "train { steps: 50 } cluster { instance_type: \"ml.c5.xlarge\" clock: FLOPS }"},
      120);
  ASSERT_EQ(done.exit_code, 0) << done.err;
  absl::StatusOr<RunResult> result =
      report::ReadResultJson((dir_ / "out" / golden.config / "result.json").string());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->steps(), 50u);
  EXPECT_EQ(result->parameter_hash(), golden.parameter_hash);
  EXPECT_EQ(result->final_test_accuracy(), golden.final_test_accuracy);
  EXPECT_EQ(result->final_test_loss(), golden.final_test_loss);
  EXPECT_EQ(result->modelled().seconds(), golden.modelled_seconds);
  EXPECT_EQ(result->modelled().clock_mode(), "FLOPS");
}

INSTANTIATE_TEST_SUITE_P(ShippedConfigs, GoldenTest, ::testing::ValuesIn(kGolden),
                         [](const ::testing::TestParamInfo<Golden>& info) {
                           return std::string(info.param.config);
                         });

}  // namespace
}  // namespace distsim
