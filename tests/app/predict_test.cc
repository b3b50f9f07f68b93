// `distsim predict --repeat 2` end to end on synthetic data, as real processes: every held-out
// check ran twice, predict.json keeps both runs, and the check's error is the median of the two
// runs' errors, computed here from their predicted and measured step times.
#include "sim/app/predict.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "sim/config/config.h"
#include "sim/data/synthetic.h"
#include "tests/testing/read_all.h"

namespace distsim::app {
namespace {

namespace fs = std::filesystem;

using testing::ReadAll;

TEST(PredictTest, RepeatsEachCheckAndKeepsTheMedianError) {
  const fs::path dir = fs::temp_directory_path() / ("distsim_predict_" + std::to_string(getpid()));
  fs::create_directories(dir);
  data::SyntheticSpec spec;
  spec.train_size = 600;
  spec.test_size = 100;
  ASSERT_TRUE(data::WriteSyntheticIdx((dir / "data").string(), spec).ok());
  const std::string path = (dir / "predict.textproto").string();
  std::ofstream(path) << R"(
name: "tiny"
workers: [1, 4]
calibration {
  seed: 2
  workers: 2
  model { mlp { hidden: 16 } }
  data { dataset: IDX dir: "data" }
  optimizer { sgd { learning_rate: 0.1 } }
  train { batch_size: 16 steps: 12 warmup_steps: 2 }
  parameter_server { mode: SYNC servers: 1 }
}
checks { name: "3_workers" overrides { workers: 3 } }
checks { name: "ring" overrides { allreduce { } } }
)";
  PredictConfig config;
  ASSERT_TRUE(config::LoadMessage(path, &config).ok());
  PredictOptions options;
  options.out_dir = (dir / "out" / "tiny").string();
  options.data_dir = [&](const RunConfig&) { return (dir / "data").string(); };
  options.executable = DISTSIM_BINARY;
  options.repeat = 2;
  absl::StatusOr<PredictResult> result = RunPredict(config, options);
  ASSERT_TRUE(result.ok()) << result.status();

  PredictResult json;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(
                  ReadAll(fs::path(options.out_dir) / "predict.json"), &json)
                  .ok());
  EXPECT_EQ(json.repeat(), 2u);
  EXPECT_GE(json.calibration().load().cores(), 1u);
  EXPECT_EQ(json.calibration().probe_repeats(), static_cast<uint32_t>(kProbeRepeats));
  ASSERT_EQ(json.checks_size(), 2);
  for (const PredictCheck& c : json.checks()) {
    ASSERT_EQ(c.repeats_size(), 2) << c.name();
    double errors[2];
    for (int r = 0; r < 2; ++r) {
      const PredictRepeat& rep = c.repeats(r);
      ASSERT_GT(rep.measured_step_ms(), 0) << c.name();
      ASSERT_GT(rep.predicted_step_ms(), 0) << c.name();
      EXPECT_GE(rep.load().cores(), 1u);
      errors[r] = (rep.predicted_step_ms() - rep.measured_step_ms()) / rep.measured_step_ms();
      EXPECT_NEAR(rep.error(), errors[r], 1e-12);
    }
    // The median of two is their mean.
    EXPECT_NEAR(c.error(), (errors[0] + errors[1]) / 2, 1e-12) << c.name();
    EXPECT_NEAR(c.measured_step_ms(),
                (c.repeats(0).measured_step_ms() + c.repeats(1).measured_step_ms()) / 2, 1e-9);
    EXPECT_EQ(c.too_busy().empty(),
              c.spread() <= kMaxCheckSpread && json.calibration().probe_spread() <= kMaxProbeSpread)
        << c.name() << ": " << c.too_busy();
  }
  // Each repeat ran in a folder of its own.
  EXPECT_TRUE(fs::exists(fs::path(options.out_dir) / "3_workers" / "result.json"));
  EXPECT_TRUE(fs::exists(fs::path(options.out_dir) / "3_workers_repeat2" / "result.json"));
  // The table shows the median of 2 runs and a spread for each check.
  const std::string text = ReadAll(fs::path(options.out_dir) / "predict.txt");
  EXPECT_NE(text.find("median of 2 runs"), std::string::npos) << text;
  EXPECT_NE(text.find("spread"), std::string::npos) << text;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace distsim::app
