// The staleness study: the simulated stale parameter server against independent truths (plain
// sequential training at s = 0, the gradient of a kept copy of each version), the delays'
// distribution, determinism, the study's files, and the config's errors naming their fields.
#include "sim/app/staleness.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernels/model.h"
#include "kernels/optimizer.h"
#include "kernels/random.h"
#include "sim/app/stale_server.h"
#include "sim/config/staleness.h"
#include "sim/data/dataset.h"
#include "tests/testing/synthetic_data_test.h"

namespace distsim::app {
namespace {

using ::testing::HasSubstr;

constexpr int kDim = 20;
constexpr int kClasses = 4;
constexpr int kBatch = 8;

// Batch t of a small random problem: inputs uniform in [0, 1), labels from the first inputs.
struct Batch {
  std::vector<float> x = std::vector<float>(kDim * kBatch);
  std::vector<int32_t> y = std::vector<int32_t>(kBatch);
};
Batch BatchAt(int t) {
  Batch b;
  for (int i = 0; i < kDim * kBatch; ++i) {
    b.x[i] = static_cast<float>(kernels::RandomUniform(77, static_cast<uint64_t>(t) * 1000 + i));
  }
  for (int j = 0; j < kBatch; ++j) b.y[j] = static_cast<int32_t>(b.x[j * kDim] * kClasses);
  return b;
}

std::unique_ptr<kernels::Model<float>> SmallMlp() {
  return kernels::MakeMlp<float>({16}, kDim, kClasses);
}

std::unique_ptr<kernels::Optimizer<float>> Adam(int64_t size) {
  return kernels::MakeAdam<float>(size, 0.01f, 0.9f, 0.999f, 1e-8f);
}

bool SameBits(std::span<const float> a, std::span<const float> b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// (1) With s = 0 every update is plain sequential training on the same batches, bit for bit.
TEST(StaleServerTest, NoStalenessIsSequentialTrainingBitForBit) {
  auto model = SmallMlp();
  const int64_t size = model->layout().size();
  std::vector<float> params(size);
  model->Init(3, params.data());
  StaleServer server(model.get(), Adam(size), params, 0, 9);
  auto truth_model = SmallMlp();
  auto truth_optimizer = Adam(size);
  std::vector<float> grads(size);
  for (int t = 0; t < 50; ++t) {
    const Batch b = BatchAt(t);
    EXPECT_EQ(server.Apply(b.x.data(), b.y.data(), kBatch, t).delay, 0u);
    truth_model->TrainStep(params.data(), b.x.data(), b.y.data(), kBatch, t, grads.data(), nullptr);
    truth_optimizer->Step(params, grads);
    ASSERT_TRUE(SameBits(server.params(), params)) << "update " << t + 1;
  }
  EXPECT_EQ(server.updates(), 50u);
}

// (2) Each delay in 0..s about 1/(s+1) of the time, and never more than the updates so far.
TEST(DelaySamplerTest, UniformOverZeroToSAndBoundedByTheUpdatesSoFar) {
  constexpr uint32_t kS = 4;
  constexpr int kDraws = 100000;
  DelaySampler delays(kS, 5);
  std::vector<int> count(kS + 1);
  for (int i = 0; i < kDraws; ++i) {
    const uint32_t d = delays.Next(1000);
    ASSERT_LE(d, kS);
    ++count[d];
  }
  // Binomial(100000, 0.2): standard deviation 126; 5 of them is 632.
  for (uint32_t d = 0; d <= kS; ++d) EXPECT_NEAR(count[d], kDraws / (kS + 1), 632) << "d " << d;
  for (uint64_t t = 0; t < kS; ++t) {
    std::vector<int> seen(t + 1);
    for (int i = 0; i < 2000; ++i) {
      const uint32_t d = delays.Next(t);
      ASSERT_LE(d, t);
      ++seen[d];
    }
    for (uint64_t d = 0; d <= t; ++d) EXPECT_GT(seen[d], 0) << "t " << t << " d " << d;
  }
}

// (3) A stale gradient is the gradient at the version d updates ago, kept here as a copy.
TEST(StaleServerTest, GradientIsTheGradientOfTheVersionDUpdatesAgo) {
  constexpr uint32_t kS = 6;
  auto model = SmallMlp();
  const int64_t size = model->layout().size();
  std::vector<float> initial(size);
  model->Init(8, initial.data());
  StaleServer server(model.get(), kernels::MakeSgd<float>(size, 0.5f), initial, kS, 11);
  std::vector<std::vector<float>> history = {initial};  // version t after t updates
  auto truth = SmallMlp();
  std::vector<float> grads(size);
  int stale = 0;
  for (int t = 0; t < 60; ++t) {
    const Batch b = BatchAt(t);
    const uint32_t d = server.Apply(b.x.data(), b.y.data(), kBatch, 0).delay;
    ASSERT_LE(d, std::min<uint32_t>(kS, t));
    stale += d > 0 ? 1 : 0;
    truth->TrainStep(history[t - d].data(), b.x.data(), b.y.data(), kBatch, 0, grads.data(),
                     nullptr);
    ASSERT_TRUE(SameBits(server.last_gradient(), grads)) << "update " << t + 1 << ", d " << d;
    history.emplace_back(server.params().begin(), server.params().end());
    for (uint32_t ago = 0; ago <= std::min<uint32_t>(kS, t + 1); ++ago) {
      ASSERT_TRUE(SameBits(server.Version(ago), history[t + 1 - ago])) << "ago " << ago;
    }
  }
  EXPECT_GT(stale, 40);  // most updates were stale: the check saw old versions
}

// A small study on the synthetic data: the MLP, batch 16, two optimizers.
StalenessStudyConfig SmallStudy(const std::string& data_dir) {
  StalenessStudyConfig study;
  study.set_name("stale_test");
  RunConfig* base = study.mutable_base();
  base->mutable_model()->mutable_mlp()->add_hidden(16);
  base->mutable_data()->set_dataset(DataConfig::IDX);
  base->mutable_data()->set_dir(data_dir);
  base->mutable_train()->set_batch_size(16);
  base->mutable_cluster()->set_instance_type("ml.c5.xlarge");
  base->mutable_cluster()->set_clock(ClusterConfig::FLOPS);
  study.add_staleness(0);
  study.add_staleness(4);
  study.add_workers(2);
  study.add_optimizers()->mutable_sgd()->set_learning_rate(0.1f);
  study.add_optimizers()->mutable_adam()->set_learning_rate(0.001f);
  study.add_seeds(1);
  study.add_seeds(2);
  study.set_target_accuracy(0.9);
  study.set_max_updates(300);
  study.set_eval_every_updates(20);
  study.set_eval_examples(200);
  study.set_threads(2);
  return config::WithStalenessDefaults(study);
}

class StalenessStudyTest : public testing::SyntheticDataTest {};

// (4) The same seed gives the same cell twice; another seed another one.
TEST_F(StalenessStudyTest, SameSeedSameCell) {
  const StalenessStudyConfig study = SmallStudy(data_dir());
  ASSERT_TRUE(config::ValidateStalenessStudy(study).ok()) << config::ValidateStalenessStudy(study);
  auto sets = data::OpenIdxDir(data_dir(), 0, 0);
  ASSERT_TRUE(sets.ok()) << sets.status();
  const GatheredSet test = Gather(sets->second);
  const GatheredSet eval = Gather(sets->second, 200);
  ASSERT_EQ(eval.size, 200);
  // Spread over the set: example 1 of the subset is example 300 / 200 = 1.5, rounded down.
  EXPECT_EQ(eval.labels[1], test.labels[1]);
  EXPECT_EQ(eval.labels[199], test.labels[199 * 300 / 200]);
  const RunConfig cell = config::StalenessCellConfig(study, 1, 2);
  auto run = [&](uint64_t seed) {
    absl::StatusOr<StalenessCell> c =
        RunStalenessCell(study, cell, 4, seed, sets->first, eval, test);
    EXPECT_TRUE(c.ok()) << c.status();
    StalenessCell out = c.value_or(StalenessCell());
    out.clear_wall_seconds();
    return out;
  };
  const StalenessCell first = run(7);
  EXPECT_EQ(first.SerializeAsString(), run(7).SerializeAsString());
  EXPECT_NE(first.SerializeAsString(), run(8).SerializeAsString());
  EXPECT_GT(first.mean_delay(), 1.0);
  EXPECT_GT(first.modelled_update_s(), 0);
}

// The whole study on two threads: every cell, rows with medians, and the files a program reads.
TEST_F(StalenessStudyTest, StudyWritesItsFilesAndChart) {
  const StalenessStudyConfig study = SmallStudy(data_dir());
  StalenessOptions options;
  options.data_dir = data_dir();
  options.out_dir = (dir_ / "out").string();
  absl::StatusOr<StalenessResult> result = RunStalenessStudy(study, options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->cells_size(), 2 * 2 * 2);
  EXPECT_EQ(result->rows_size(), 2 * 2);
  EXPECT_FALSE(result->findings().empty());
  for (const char* file : {"staleness.json", "staleness.csv", "cells.csv", "report.html"}) {
    EXPECT_TRUE(std::filesystem::exists(dir_ / "out" / file)) << file;
  }
  std::ifstream html(dir_ / "out" / "report.html");
  std::stringstream text;
  text << html.rdbuf();
  EXPECT_THAT(text.str(), HasSubstr("data-chart=\"updates-vs-staleness-n2\""));
  EXPECT_THAT(text.str(), HasSubstr("id=\"staleness-data\""));
}

// (5) Every problem at once, each naming its field.
TEST(StalenessConfigTest, ErrorsNameTheField) {
  StalenessStudyConfig study = SmallStudy("/nonexistent");
  study.add_staleness(2000);
  study.mutable_optimizers(1)->mutable_adam()->set_learning_rate(0);
  study.mutable_base()->set_workers(3);
  study.mutable_base()->mutable_train()->set_batch_size(0);
  study.set_target_accuracy(1.5);
  study.clear_seeds();
  study.add_optimizers()->mutable_sgd()->set_learning_rate(0.2f);
  const absl::Status status = config::ValidateStalenessStudy(study);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  const std::string m(status.message());
  EXPECT_THAT(m, HasSubstr("staleness[2]: 2000 is out of range; must be in [0, 1024]"));
  EXPECT_THAT(m, HasSubstr("optimizers[1].adam.learning_rate: 0 is out of range"));
  EXPECT_THAT(m, HasSubstr("base.workers: set by the study"));
  EXPECT_THAT(m, HasSubstr("base.train.batch_size: 0 is out of range"));
  EXPECT_THAT(m, HasSubstr("target_accuracy: 1.5 is out of range"));
  EXPECT_THAT(m, HasSubstr("seeds: empty"));
  EXPECT_THAT(m, HasSubstr("optimizers[2]: a second optimizer of its kind"));
  EXPECT_TRUE(config::ValidateStalenessStudy(SmallStudy("/nonexistent")).ok());
}

}  // namespace
}  // namespace distsim::app
