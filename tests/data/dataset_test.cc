// Dataset: limits, Gather's scaling and order, cheap copies, and OpenIdxDir's folder layout.
#include "sim/data/dataset.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sim/data/idx.h"
#include "sim/data/synthetic.h"
#include "tests/data/test_files.h"

namespace distsim::data {
namespace {

using ::distsim::data::testing::TempDir;

// Writes n images of 2x2 where image i is {i, i+1, 254 - i, 255} and label i % 10.
void WriteCounting(const TempDir& dir, int n) {
  std::vector<uint8_t> pixels;
  std::vector<uint8_t> labels;
  for (int i = 0; i < n; ++i) {
    pixels.insert(pixels.end(), {static_cast<uint8_t>(i), static_cast<uint8_t>(i + 1),
                                 static_cast<uint8_t>(254 - i), 255});
    labels.push_back(static_cast<uint8_t>(i % 10));
  }
  ASSERT_TRUE(WriteIdxImages(dir.File("img"), 2, 2, pixels).ok());
  ASSERT_TRUE(WriteIdxLabels(dir.File("lbl"), labels).ok());
}

TEST(DatasetTest, LimitKeepsTheFirstExamples) {
  TempDir dir;
  WriteCounting(dir, 20);
  absl::StatusOr<Dataset> all = Dataset::Open(dir.File("img"), dir.File("lbl"));
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->size(), 20);
  absl::StatusOr<Dataset> some = Dataset::Open(dir.File("img"), dir.File("lbl"), 7);
  ASSERT_TRUE(some.ok()) << some.status();
  EXPECT_EQ(some->size(), 7);
  EXPECT_EQ(some->image(6)[0], 6);
  EXPECT_EQ(some->label(6), 6);
  absl::StatusOr<Dataset> more = Dataset::Open(dir.File("img"), dir.File("lbl"), 1000);
  ASSERT_TRUE(more.ok()) << more.status();
  EXPECT_EQ(more->size(), 20);
  EXPECT_EQ(Dataset::Open(dir.File("img"), dir.File("lbl"), -1).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(DatasetTest, GatherScalesToUnitRangeAndKeepsTheAskedOrder) {
  TempDir dir;
  WriteCounting(dir, 20);
  absl::StatusOr<Dataset> ds = Dataset::Open(dir.File("img"), dir.File("lbl"));
  ASSERT_TRUE(ds.ok()) << ds.status();
  const std::vector<int64_t> indices = {13, 0, 19, 13};
  std::vector<float> x(4 * indices.size(), -1.0f);
  std::vector<int32_t> labels(indices.size(), -1);
  ds->Gather<float>(indices, x.data(), labels.data());
  for (size_t j = 0; j < indices.size(); ++j) {
    const int64_t i = indices[j];
    EXPECT_EQ(labels[j], i % 10);
    EXPECT_FLOAT_EQ(x[j * 4 + 0], static_cast<float>(i) / 255.0f);
    EXPECT_FLOAT_EQ(x[j * 4 + 1], static_cast<float>(i + 1) / 255.0f);
    EXPECT_FLOAT_EQ(x[j * 4 + 2], static_cast<float>(254 - i) / 255.0f);
    EXPECT_EQ(x[j * 4 + 3], 1.0f);
  }
  EXPECT_EQ(x[4], 0.0f);  // example 0, pixel 0
  std::vector<double> xd(4 * indices.size());
  ds->Gather<double>(indices, xd.data(), nullptr);
  for (size_t k = 0; k < xd.size(); ++k) {
    EXPECT_GE(xd[k], 0.0);
    EXPECT_LE(xd[k], 1.0);
    EXPECT_EQ(xd[k], ds->image(indices[k / 4])[k % 4] / 255.0);
  }
}

TEST(DatasetDeathTest, GatherChecksIndices) {
  TempDir dir;
  WriteCounting(dir, 5);
  absl::StatusOr<Dataset> ds = Dataset::Open(dir.File("img"), dir.File("lbl"), 3);
  ASSERT_TRUE(ds.ok()) << ds.status();
  std::vector<float> x(4);
  const std::vector<int64_t> beyond_limit = {3};
  EXPECT_DEATH(ds->Gather<float>(beyond_limit, x.data(), nullptr), "check failed");
}

TEST(DatasetTest, CopiesShareTheMappingAndOutliveTheOriginal) {
  TempDir dir;
  WriteCounting(dir, 5);
  Dataset copy;
  const uint8_t* first = nullptr;
  {
    absl::StatusOr<Dataset> ds = Dataset::Open(dir.File("img"), dir.File("lbl"));
    ASSERT_TRUE(ds.ok()) << ds.status();
    copy = *ds;
    first = ds->image(0);
  }
  EXPECT_EQ(copy.image(0), first);
  EXPECT_EQ(copy.image(4)[1], 5);
  EXPECT_EQ(copy.images_path(), dir.File("img"));
}

TEST(OpenIdxDirTest, OpensTheFourStandardFiles) {
  TempDir dir;
  SyntheticSpec spec;
  spec.train_size = 50;
  spec.test_size = 20;
  spec.rows = 5;
  spec.cols = 7;
  ASSERT_TRUE(WriteSyntheticIdx(dir.path(), spec).ok());
  auto pair = OpenIdxDir(dir.path(), 0, 8);
  ASSERT_TRUE(pair.ok()) << pair.status();
  const auto& [train, test] = *pair;
  EXPECT_EQ(train.size(), 50);
  EXPECT_EQ(test.size(), 8);
  EXPECT_EQ(train.rows(), 5);
  EXPECT_EQ(test.cols(), 7);
  EXPECT_EQ(train.images_path(), dir.path() + "/" + kTrainImages);
  EXPECT_EQ(test.labels_path(), dir.path() + "/" + kTestLabels);
}

TEST(OpenIdxDirTest, MissingFolderOrFileIsNotFoundNamingThePath) {
  TempDir dir;
  const std::string missing = dir.File("mnist");
  absl::Status status = OpenIdxDir(missing, 0, 0).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound) << status;
  EXPECT_NE(status.message().find(missing), std::string::npos) << status;

  SyntheticSpec spec;
  spec.train_size = 10;
  spec.test_size = 10;
  ASSERT_TRUE(WriteSyntheticIdx(dir.path(), spec).ok());
  const std::string test_labels = dir.File(kTestLabels);
  std::filesystem::remove(test_labels);
  status = OpenIdxDir(dir.path(), 0, 0).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound) << status;
  EXPECT_NE(status.message().find(test_labels), std::string::npos) << status;
}

}  // namespace
}  // namespace distsim::data
