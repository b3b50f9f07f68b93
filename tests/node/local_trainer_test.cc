// The local strategy end to end on synthetic IDX files: it learns, it is reproducible bit for bit,
// and its result says what happened.
#include "sim/node/local_trainer.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "sim/config/config.h"
#include "sim/data/synthetic.h"
#include "sim/node/run_plan.h"
#include "sim/report/result_io.h"
#include "tests/testing/synthetic_data_test.h"

namespace distsim::node {
namespace {

namespace fs = std::filesystem;

class LocalTrainerTest : public testing::SyntheticDataTest {
 protected:
  data::SyntheticSpec Spec() const override {
    data::SyntheticSpec spec;
    spec.train_size = 1000;
    spec.test_size = 300;
    spec.seed = 11;
    return spec;
  }

  RunConfig Config(const std::string& model_text, int steps) {
    RunConfig c;
    c.set_name("t");
    c.set_seed(5);
    c.mutable_data()->set_dataset(DataConfig::IDX);
    c.mutable_data()->set_dir((dir_ / "data").string());
    std::string text = model_text +
                       " optimizer { adam { learning_rate: 0.003 } }"
                       " train { batch_size: 32 steps: " +
                       std::to_string(steps) + " eval_every_steps: 25 }";
    EXPECT_TRUE(config::ApplyOverride(&c, text).ok());
    c = config::WithDefaults(c);
    EXPECT_TRUE(config::ValidateRunConfig(c).ok()) << config::ValidateRunConfig(c);
    return c;
  }

  LocalRunOptions Options(std::vector<float>* params, const std::string& out = "") {
    LocalRunOptions o;
    o.data_dir = (dir_ / "data").string();
    o.out_dir = out;
    o.final_params = params;
    return o;
  }

};

TEST_F(LocalTrainerTest, MlpLearnsTheSyntheticTask) {
  RunConfig c = Config("model { mlp { hidden: 32 } }", 150);
  absl::StatusOr<RunResult> r = RunLocal(c, Options(nullptr));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_GE(r->final_train_accuracy(), 0.95);
  EXPECT_GE(r->final_test_accuracy(), 0.90);
  // Evaluations at 25, 50, ..., 150: six points, accuracy at the end above the first.
  ASSERT_EQ(r->evals_size(), 6);
  EXPECT_EQ(r->evals(5).step(), 150u);
  EXPECT_GT(r->evals(5).test_accuracy(), r->evals(0).test_accuracy() - 1e-9);
  EXPECT_EQ(r->samples(), 150u * 32u);
  EXPECT_DOUBLE_EQ(r->epochs(), 150.0 * 32.0 / 1000.0);
}

TEST_F(LocalTrainerTest, SameSeedGivesBitIdenticalParameters) {
  // The CNN has dropout, so this also pins the dropout masks to the seed.
  RunConfig c = Config(
      "model { cnn { conv1_channels: 4 conv2_channels: 8 dense_units: 16 dropout: 0.4 } }", 12);
  std::vector<float> a, b, other;
  ASSERT_TRUE(RunLocal(c, Options(&a)).ok());
  ASSERT_TRUE(RunLocal(c, Options(&b)).ok());
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * sizeof(float)));
  EXPECT_EQ(HashFloats(a), HashFloats(b));
  c.set_seed(6);
  ASSERT_TRUE(RunLocal(c, Options(&other)).ok());
  EXPECT_NE(HashFloats(a), HashFloats(other));
}

TEST_F(LocalTrainerTest, WritesResultJsonAndStepsCsv) {
  RunConfig c = Config("model { softmax {} }", 40);
  std::string out = (dir_ / "out").string();
  absl::StatusOr<RunResult> r = RunLocal(c, Options(nullptr, out));
  ASSERT_TRUE(r.ok()) << r.status();

  absl::StatusOr<RunResult> back = report::ReadResultJson(out + "/result.json");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->config().name(), "t");
  EXPECT_EQ(back->config().train().batch_size(), 32u);  // echoes the config
  EXPECT_EQ(back->parameter_hash(), r->parameter_hash());
  EXPECT_EQ(back->parameter_count(), 7850u);
  EXPECT_FALSE(back->provenance().git_revision().empty());
  EXPECT_FALSE(back->provenance().compiler().empty());
  EXPECT_FALSE(back->provenance().eigen_simd().empty());
  EXPECT_GT(back->provenance().cpu_cores(), 0u);
  const StepTimes& t = back->step_times();
  EXPECT_EQ(t.warmup_steps(), 10u);
  EXPECT_EQ(t.measured_steps(), 30u);
  EXPECT_GT(t.p50_ms(), 0.0);
  EXPECT_LE(t.p50_ms(), t.p90_ms());
  EXPECT_LE(t.p90_ms(), t.p99_ms());

  std::ifstream csv(out + "/steps.csv");
  std::string line;
  int rows = 0, eval_rows = 0;
  std::getline(csv, line);
  EXPECT_EQ(line.rfind("worker,step,epoch,samples,", 0), 0u);
  const std::vector<std::string> header = absl::StrSplit(line, ',');
  const size_t test_loss =
      std::find(header.begin(), header.end(), "test_loss") - header.begin();
  ASSERT_LT(test_loss, header.size());
  while (std::getline(csv, line)) {
    ++rows;
    const std::vector<std::string> cells = absl::StrSplit(line, ',');
    ASSERT_EQ(cells.size(), header.size()) << line;
    if (!cells[test_loss].empty()) ++eval_rows;  // an evaluation at this step
  }
  EXPECT_EQ(rows, 40);
  EXPECT_EQ(eval_rows, 2);  // steps 25 and 40
}

TEST_F(LocalTrainerTest, StopFlagCancelsTheRun) {
  RunConfig c = Config("model { softmax {} }", 1000);
  std::atomic<bool> stop{true};
  LocalRunOptions o = Options(nullptr);
  o.stop = &stop;
  absl::StatusOr<RunResult> r = RunLocal(c, o);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kCancelled);
}

TEST(ModelMemory, CountsEveryCopyOfTheRunAndRefusesWithTheFigures) {
  RunPlan plan;
  plan.parameters = 1000;  // 4 kB a copy
  plan.config.mutable_optimizer()->mutable_adam();
  plan.shape = ShapeOf(plan.config);
  // local: parameters, gradients and Adam's two slots.
  EXPECT_DOUBLE_EQ(ModelMemoryBytes(plan), 4 * 4000.0);
  // SYNC PS, 4 workers: each worker parameters and gradients; the shards one copy of the
  // parameters, Adam's slots, the received gradient and the SYNC sum.
  plan.config.set_workers(4);
  plan.config.mutable_parameter_server()->set_mode(ParameterServerStrategy::SYNC);
  plan.shape = ShapeOf(plan.config);
  EXPECT_DOUBLE_EQ(ModelMemoryBytes(plan), 4 * 2 * 4000.0 + 5 * 4000.0);
  EXPECT_TRUE(CheckModelMemory(plan, 52000).ok());
  absl::Status refused = CheckModelMemory(plan, 51999);
  EXPECT_TRUE(absl::IsInvalidArgument(refused));
  EXPECT_NE(refused.message().find("1000 parameters"), std::string::npos) << refused;
  EXPECT_NE(refused.message().find("5 processes"), std::string::npos) << refused;
  EXPECT_TRUE(CheckModelMemory(plan, 0).ok());  // unknown memory: no refusal
}

TEST(LengthOf, EpochsRoundUpToWholeSteps) {
  RunConfig c;
  TrainConfig& t = *c.mutable_train();
  t.set_batch_size(64);
  t.set_epochs(1);
  EXPECT_EQ(LengthOf(c, 60000.0 / 64).max_steps, 938u);  // 937.5 -> 938
  t.set_epochs(5);
  EXPECT_EQ(LengthOf(c, 60000.0 / 64).max_steps, 4688u);  // 4687.5 -> 4688
  t.set_batch_size(100);
  t.set_epochs(2);
  EXPECT_EQ(LengthOf(c, 60000.0 / 100).max_steps, 1200u);
  t.set_steps(17);
  EXPECT_EQ(LengthOf(c, 60000.0 / 100).max_steps, 17u);
  EXPECT_EQ(LengthOf(c, 60000.0 / 100).global_steps, 0u);
}

TEST(LengthOf, GlobalStepsLimitTheServersUpdatesExceptUnderSync) {
  RunConfig c;
  c.mutable_train()->set_global_steps(300);
  c.mutable_parameter_server()->set_mode(ParameterServerStrategy::ASYNC);
  EXPECT_EQ(LengthOf(c, 10).global_steps, 300u);
  EXPECT_EQ(LengthOf(c, 10).max_steps, 0u);
  // SYNC: one averaged update per step of every worker, so 300 updates are 300 steps each.
  c.mutable_parameter_server()->set_mode(ParameterServerStrategy::SYNC);
  EXPECT_EQ(LengthOf(c, 10).global_steps, 0u);
  EXPECT_EQ(LengthOf(c, 10).max_steps, 300u);
}

// The table's words for each way a run stops: whose epochs they are is what the workshop's
// data-distribution module turns on.
TEST(RunLengthText, SaysWhoseEpochsAndWhichSteps) {
  RunConfig c;
  c.mutable_train()->set_epochs(2);
  EXPECT_EQ(RunLengthText(c), "2 epochs, each over the whole set");  // local
  c.mutable_parameter_server()->set_mode(ParameterServerStrategy::ASYNC);
  c.mutable_data()->set_distribution(DataConfig::SHARDED_BY_KEY);
  EXPECT_EQ(RunLengthText(c), "2 epochs per worker, each over its own objects");
  c.mutable_data()->set_distribution(DataConfig::FULLY_REPLICATED);
  c.mutable_train()->set_epochs(1);
  EXPECT_EQ(RunLengthText(c), "1 epoch per worker, each over the whole set");
  c.mutable_train()->set_global_steps(1000);
  EXPECT_EQ(RunLengthText(c),
            "1000 global steps (TensorFlow's shared step: updates at the servers)");
  c.mutable_train()->set_steps(400);
  EXPECT_EQ(RunLengthText(c), "400 steps per worker");
}

}  // namespace
}  // namespace distsim::node
