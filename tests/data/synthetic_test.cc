// Synthetic IDX data: deterministic, readable by the IDX reader, and learnable (checked with a
// nearest-class-mean classifier, which needs no kernels).
#include "sim/data/synthetic.h"

#include <cstdint>
#include <limits>
#include <vector>

#include "gtest/gtest.h"
#include "sim/data/dataset.h"
#include "sim/data/idx.h"
#include "tests/data/test_files.h"

namespace distsim::data {
namespace {

using ::distsim::data::testing::ReadBytes;
using ::distsim::data::testing::TempDir;

TEST(SyntheticTest, SameSeedSameBytesDifferentSeedDifferent) {
  TempDir a, b, c;
  SyntheticSpec spec;
  spec.train_size = 100;
  spec.test_size = 30;
  ASSERT_TRUE(WriteSyntheticIdx(a.path(), spec).ok());
  ASSERT_TRUE(WriteSyntheticIdx(b.path(), spec).ok());
  spec.seed = 2;
  ASSERT_TRUE(WriteSyntheticIdx(c.path(), spec).ok());
  for (const char* name : {kTrainImages, kTrainLabels, kTestImages, kTestLabels}) {
    EXPECT_EQ(ReadBytes(a.File(name)), ReadBytes(b.File(name))) << name;
    EXPECT_NE(ReadBytes(a.File(name)), ReadBytes(c.File(name))) << name;
  }
}

TEST(SyntheticTest, DefaultsAreReadableWithEveryClassPresent) {
  TempDir dir;
  ASSERT_TRUE(WriteSyntheticIdx(dir.path()).ok());
  auto pair = OpenIdxDir(dir.path(), 0, 0);
  ASSERT_TRUE(pair.ok()) << pair.status();
  const Dataset& train = pair->first;
  EXPECT_EQ(train.size(), 2000);
  EXPECT_EQ(pair->second.size(), 500);
  EXPECT_EQ(train.rows(), 28);
  EXPECT_EQ(train.cols(), 28);
  std::vector<int> per_class(10, 0);
  for (int64_t i = 0; i < train.size(); ++i) ++per_class[train.label(i)];
  for (int c = 0; c < 10; ++c) EXPECT_GT(per_class[c], 100) << "class " << c;
}

TEST(SyntheticTest, NearestClassMeanReachesNinetyPercent) {
  TempDir dir;
  ASSERT_TRUE(WriteSyntheticIdx(dir.path()).ok());
  auto pair = OpenIdxDir(dir.path(), 0, 0);
  ASSERT_TRUE(pair.ok()) << pair.status();
  const auto& [train, test] = *pair;
  const int dim = train.example_dim();
  const int classes = train.num_classes();
  std::vector<double> means(static_cast<size_t>(classes) * dim, 0.0);
  std::vector<int> counts(classes, 0);
  for (int64_t i = 0; i < train.size(); ++i) {
    const int c = train.label(i);
    ++counts[c];
    for (int k = 0; k < dim; ++k) means[c * dim + k] += train.image(i)[k];
  }
  for (int c = 0; c < classes; ++c) {
    ASSERT_GT(counts[c], 0);
    for (int k = 0; k < dim; ++k) means[c * dim + k] /= counts[c];
  }
  int64_t correct = 0;
  for (int64_t i = 0; i < test.size(); ++i) {
    int best = -1;
    double best_distance = std::numeric_limits<double>::infinity();
    for (int c = 0; c < classes; ++c) {
      double distance = 0;
      for (int k = 0; k < dim; ++k) {
        const double diff = test.image(i)[k] - means[c * dim + k];
        distance += diff * diff;
      }
      if (distance < best_distance) {
        best_distance = distance;
        best = c;
      }
    }
    correct += best == test.label(i);
  }
  const double accuracy = static_cast<double>(correct) / test.size();
  EXPECT_GE(accuracy, 0.9);
  RecordProperty("nearest_class_mean_accuracy", std::to_string(accuracy));
}

TEST(SyntheticTest, RespectsShapeAndClassCount) {
  SyntheticSpec spec;
  spec.train_size = 40;
  spec.test_size = 10;
  spec.rows = 4;
  spec.cols = 9;
  spec.num_classes = 3;
  absl::StatusOr<SyntheticSplit> split = MakeSyntheticSplit(spec, /*train=*/true);
  ASSERT_TRUE(split.ok()) << split.status();
  EXPECT_EQ(split->pixels.size(), 40u * 36u);
  ASSERT_EQ(split->labels.size(), 40u);
  for (uint8_t label : split->labels) EXPECT_LT(label, 3);
}

TEST(SyntheticTest, RefusesSpecOutOfRange) {
  TempDir dir;
  SyntheticSpec spec;
  spec.num_classes = 0;
  absl::Status status = WriteSyntheticIdx(dir.path(), spec);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("num_classes"), std::string::npos) << status;
  spec = SyntheticSpec();
  spec.rows = 5000;
  EXPECT_EQ(WriteSyntheticIdx(dir.path(), spec).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace distsim::data
