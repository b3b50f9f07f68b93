// Golden values: three shipped configs, cut to 50 steps on the synthetic test data and modelled on
// the FLOPS clock (deterministic), must give exactly the bits recorded here. A change that moves
// them (a new summation order, another initialisation) changes these values in a commit that says
// why; a refactoring must leave them alone.
//
// The bits depend on the vector instructions the kernels were compiled for (Eigen sums in
// another order with AVX-512 than with AVX2), so each path has its own record. The AVX-512 values
// were recorded on main at c2f0f7e, before sim/node was split (issue 10); the AVX2 + FMA values
// at d59a9f9 (the same code, on an AVX2 machine). Another path has no record: the test then
// skips, printing the values to record.
#include <unistd.h>

#include <filesystem>
#include <ostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
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

#if defined(__AVX512F__)
constexpr char kSimdPath[] = "AVX-512";
constexpr Golden kGolden[] = {
    {"mnist_mlp", "1c92f17e3006e6c7", 1.0, 0.0365241976082325, 0.005013717349674449},
    {"ps_sync_4w", "531dc8be09c586ef", 1.0, 0.02134826215604941, 1.057138517349675},
    {"ring_4w", "065280d6553bf524", 1.0, 0.021348260566592215, 0.21541211734967428},
};
#elif defined(__AVX2__) && defined(__FMA__)
constexpr char kSimdPath[] = "AVX2 + FMA";
constexpr Golden kGolden[] = {
    {"mnist_mlp", "4bb0364f754c61e4", 1.0, 0.03652369300524394, 0.0050137173496744491},
    {"ps_sync_4w", "8f2430d1a5422a8e", 1.0, 0.021348266974091531, 1.057138517349675},
    {"ring_4w", "bc98e334ab196292", 1.0, 0.021348262429237364, 0.21541211734967428},
};
#else
constexpr char kSimdPath[] = "";  // no record: every case skips
constexpr Golden kGolden[] = {{"mnist_mlp", "", 0, 0, 0},
                              {"ps_sync_4w", "", 0, 0, 0},
                              {"ring_4w", "", 0, 0, 0}};
#endif

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
  const std::string got = absl::StrFormat("{\"%s\", \"%s\", %.17g, %.17g, %.17g}", golden.config,
                                          result->parameter_hash(),
                                          result->final_test_accuracy(),
                                          result->final_test_loss(), result->modelled().seconds());
  if (kSimdPath[0] == '\0') GTEST_SKIP() << "no golden record for this CPU's vector path; got " << got;
  SCOPED_TRACE(absl::StrCat(kSimdPath, " record; this run gives ", got));
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
