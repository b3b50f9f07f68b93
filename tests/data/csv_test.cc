// The CSV reader (sim/data/csv.h): values and labels as written, each bad input named by file,
// line and column, the normalisations against hand-computed statistics, and the conversion to an
// IDX folder that Dataset reads back as float features. Also IDX sets of other than 10 classes.
#include "sim/data/csv.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sim/data/dataset.h"
#include "sim/data/idx.h"
#include "sim/data/object_store.h"
#include "sim/data/synthetic_csv.h"
#include "tests/data/test_files.h"

namespace distsim::data {
namespace {

absl::StatusOr<CsvTable> Parse(const std::string& text, CsvOptions options = {}) {
  return ParseCsv("data.csv", text, options);
}

// The message of a parse that must fail with DataLoss.
std::string Error(const std::string& text, CsvOptions options = {}) {
  absl::StatusOr<CsvTable> t = Parse(text, options);
  EXPECT_FALSE(t.ok());
  if (t.ok()) return "";
  EXPECT_TRUE(absl::IsDataLoss(t.status())) << t.status();
  return std::string(t.status().message());
}

TEST(CsvTest, ReadsValuesAndLabels) {
  CsvOptions o;
  o.label_column = 3;
  o.header = true;
  o.num_classes = 3;
  absl::StatusOr<CsvTable> t = Parse("x,y,label\r\n1.5, -2 ,2\n\n3e1,0,0\n", o);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->examples, 2);
  EXPECT_EQ(t->features, 2);
  EXPECT_EQ(t->values, (std::vector<float>{1.5f, -2.f, 30.f, 0.f}));
  EXPECT_EQ(t->labels, (std::vector<uint8_t>{2, 0}));
}

TEST(CsvTest, ChosenFeatureColumnsInTheirOrderAndAnotherDelimiter) {
  CsvOptions o;
  o.label_column = 2;
  o.feature_columns = {4, 1};
  o.delimiter = ';';
  absl::StatusOr<CsvTable> t = Parse("1;1;7;2\n5;0;8;6\n", o);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->values, (std::vector<float>{2.f, 1.f, 6.f, 5.f}));
  EXPECT_EQ(t->labels, (std::vector<uint8_t>{1, 0}));
}

TEST(CsvTest, NonNumberNamesFileLineAndColumn) {
  EXPECT_EQ(Error("0,1,2\n1,abc,3\n"),
            "data.csv:2:2: \"abc\" is not a number (a feature must be a finite real number such "
            "as 3, -0.5 or 1e-3)");
  EXPECT_EQ(Error("0,1,nan\n"), "data.csv:1:3: \"nan\" is not a number (a feature must be a "
                                "finite real number such as 3, -0.5 or 1e-3)");
  EXPECT_EQ(Error("0,1,2\n1,,3\n"), "data.csv:2:2: empty field; expected a number");
}

TEST(CsvTest, MissingColumnNamesIt) {
  CsvOptions o;
  o.label_column = 5;
  EXPECT_EQ(Error("1,2,3\n", o),
            "data.csv:1:4: missing column 5 (the label): the line has 3 columns");
  o.label_column = 1;
  o.feature_columns = {2, 9};
  EXPECT_EQ(Error("1,2,3\n", o),
            "data.csv:1:4: missing column 9 (a feature): the line has 3 columns");
}

TEST(CsvTest, LabelOutOfRangeOrNotAnInteger) {
  CsvOptions o;
  o.num_classes = 3;
  EXPECT_EQ(Error("0,1\n2,1\n3,1\n", o),
            "data.csv:3:1: label 3 is out of range; expected 0..2 for data.num_classes 3");
  EXPECT_EQ(Error("0,1\n-1,1\n", o),
            "data.csv:2:1: label -1 is out of range; expected 0..2 for data.num_classes 3");
  EXPECT_EQ(Error("1.5,1\n", o),
            "data.csv:1:1: label \"1.5\" is not an integer; labels are classes 0..2");
  EXPECT_EQ(Error("cat,1\n", o),
            "data.csv:1:1: label \"cat\" is not an integer; labels are classes 0..2");
}

TEST(CsvTest, RaggedLineNamesWhereItDiffers) {
  EXPECT_EQ(Error("0,1,2\n1,2\n"),
            "data.csv:2:3: ragged line: 2 fields, but the first line has 3 (a column is missing)");
  EXPECT_EQ(Error("0,1,2\n0,1,2\n\n1,2,3,4\n"),
            "data.csv:4:4: ragged line: 4 fields, but the first line has 3 (an extra field)");
}

TEST(CsvTest, EmptyFileOrHeaderOnly) {
  EXPECT_EQ(Error(""), "data.csv:1:1: the file is empty; expected one example a line");
  EXPECT_EQ(Error("\n\n"), "data.csv:3:1: the file is empty; expected one example a line");
  CsvOptions o;
  o.header = true;
  EXPECT_EQ(Error("label,x\n", o), "data.csv:2:1: no examples after the header line");
}

TEST(CsvTest, MissingFileIsNotFound) {
  testing::TempDir dir;
  EXPECT_TRUE(absl::IsNotFound(ReadCsv(dir.File("none.csv"), {}).status()));
}

CsvTable Table(std::vector<float> values, int features) {
  CsvTable t;
  t.features = features;
  t.examples = static_cast<int64_t>(values.size()) / features;
  t.values = std::move(values);
  t.labels.assign(t.examples, 0);
  return t;
}

TEST(CsvTest, NormalisationUsesTheTrainingFileOnly) {
  // Feature 0: 1, 3, 5 (min 1, max 5, mean 3, population sd sqrt(8/3)); feature 1 constant.
  CsvTable train = Table({1, 7, 3, 7, 5, 7}, 2);
  CsvTable test = Table({9, 8}, 2);
  Normalize(Normalization::kMinMax, &train, &test);
  EXPECT_EQ(train.values, (std::vector<float>{0, 0, 0.5f, 0, 1, 0}));
  EXPECT_EQ(test.values, (std::vector<float>{2, 0}));  // (9 - 1) / 4: beyond the training range
  train = Table({1, 7, 3, 7, 5, 7}, 2);
  test = Table({3, 8}, 2);
  Normalize(Normalization::kZScore, &train, &test);
  const float z = static_cast<float>(2 / std::sqrt(8.0 / 3));
  EXPECT_FLOAT_EQ(train.values[0], -z);
  EXPECT_FLOAT_EQ(train.values[2], 0);
  EXPECT_FLOAT_EQ(train.values[4], z);
  EXPECT_EQ(test.values, (std::vector<float>{0, 0}));
}

TEST(CsvTest, ConvertsToAnIdxFolderOfFloatFeatures) {
  testing::TempDir dir;
  const std::string train = dir.File("train.csv"), test = dir.File("test.csv");
  testing::WriteBytes(train, {'0', ',', '-', '1', '.', '2', '5', '\n', '2', ',', '4', '\n'});
  testing::WriteBytes(test, {'1', ',', '3', '\n'});
  CsvOptions o;
  o.num_classes = 3;
  absl::StatusOr<std::string> idx = ConvertCsvToIdx(train, test, o, dir.File("cache"));
  ASSERT_TRUE(idx.ok()) << idx.status();
  absl::StatusOr<std::pair<Dataset, Dataset>> sets = OpenIdxDir(*idx, 0, 0, 3);
  ASSERT_TRUE(sets.ok()) << sets.status();
  const Dataset& d = sets->first;
  EXPECT_EQ(d.size(), 2);
  EXPECT_EQ(d.rows(), 1);
  EXPECT_EQ(d.cols(), 1);
  EXPECT_EQ(d.value_bytes(), 4);
  std::vector<float> x(2);
  std::vector<int32_t> y(2);
  const std::vector<int64_t> ids = {1, 0};
  d.Gather<float>(ids, x.data(), y.data());
  EXPECT_EQ(x, (std::vector<float>{4.f, -1.25f}));  // as written: normalisation NONE
  EXPECT_EQ(y, (std::vector<int32_t>{2, 0}));
  // The same files and options give the same folder (reused, not rewritten).
  absl::StatusOr<std::string> again = ConvertCsvToIdx(train, test, o, dir.File("cache"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *idx);
}

TEST(CsvTest, TestFileWithOtherFeatureCountIsRefused) {
  testing::TempDir dir;
  testing::WriteBytes(dir.File("a.csv"), {'0', ',', '1', '\n'});
  testing::WriteBytes(dir.File("b.csv"), {'0', ',', '1', ',', '2', '\n'});
  absl::Status s = ConvertCsvToIdx(dir.File("a.csv"), dir.File("b.csv"), {}, dir.File("c")).status();
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
  EXPECT_NE(s.message().find("has 1 features but"), std::string::npos) << s;
}

// The separable set as objects: float features survive the object files unchanged, and every
// label agrees with the generator's rule (recomputed from the features: the independent truth).
TEST(CsvTest, FloatObjectsHoldTheSameExamplesAsTheSet) {
  testing::TempDir dir;
  ASSERT_TRUE(WriteSeparableCsv(dir.path(), 50, 10, 3).ok());
  CsvOptions o;
  o.label_column = 5;
  o.header = true;
  o.num_classes = 3;
  absl::StatusOr<std::string> idx =
      ConvertCsvToIdx(dir.File("train.csv"), dir.File("test.csv"), o, dir.File("cache"));
  ASSERT_TRUE(idx.ok()) << idx.status();
  absl::StatusOr<std::pair<Dataset, Dataset>> sets = OpenIdxDir(*idx, 0, 0, 3);
  ASSERT_TRUE(sets.ok()) << sets.status();
  const Dataset& whole = sets->first;
  DistributionSpec spec;
  spec.objects = 4;
  absl::StatusOr<ObjectStore> store = MakeObjectStore(whole, spec, 9, dir.File("objects"));
  ASSERT_TRUE(store.ok()) << store.status();
  std::vector<std::string> paths;
  for (int k = 0; k < 4; ++k) paths.push_back(store->dir + "/" + ObjectFileName(k, 4));
  absl::StatusOr<Dataset> objects = Dataset::OpenObjects(paths, 3);
  ASSERT_TRUE(objects.ok()) << objects.status();
  ASSERT_EQ(objects->size(), 50);
  std::vector<int64_t> ids(50);
  for (int64_t i = 0; i < 50; ++i) ids[i] = i;
  std::vector<float> a(200), b(200);
  std::vector<int32_t> la(50), lb(50);
  whole.Gather<float>(ids, a.data(), la.data());
  objects->Gather<float>(ids, b.data(), lb.data());
  EXPECT_EQ(a, b);
  EXPECT_EQ(la, lb);
  // Normalisation NONE: the features are x = scale * u + offset; recover u and apply the rule.
  const double scale[4] = {1, 10, 0.1, 100}, offset[4] = {0, 50, -3, 200};
  for (int64_t i = 0; i < 50; ++i) {
    std::array<double, 4> u;
    for (int f = 0; f < 4; ++f) u[f] = (a[4 * i + f] - offset[f]) / scale[f];
    EXPECT_EQ(SeparableClass(u), la[i]) << "example " << i;
  }
}

// IDX with 3 classes and with 26: labels up to C-1 are read, C is refused naming the index.
TEST(IdxClassesTest, OtherThanTenClasses) {
  testing::TempDir dir;
  for (int classes : {3, 26}) {
    const std::vector<uint8_t> pixels(4 * classes, 7);
    std::vector<uint8_t> labels;
    for (int c = 0; c < classes; ++c) labels.push_back(static_cast<uint8_t>(c));
    ASSERT_TRUE(WriteIdxImages(dir.File("i"), 2, 2, pixels).ok());
    ASSERT_TRUE(WriteIdxLabels(dir.File("l"), labels).ok());
    absl::StatusOr<Dataset> d = Dataset::Open(dir.File("i"), dir.File("l"), 0, classes);
    ASSERT_TRUE(d.ok()) << d.status();
    EXPECT_EQ(d->num_classes(), classes);
    EXPECT_EQ(d->label(classes - 1), classes - 1);
    absl::Status fewer = Dataset::Open(dir.File("i"), dir.File("l"), 0, classes - 1).status();
    EXPECT_TRUE(absl::IsDataLoss(fewer));
    EXPECT_NE(fewer.message().find(absl::StrCat("label ", classes - 1, " at index ", classes - 1)),
              std::string::npos)
        << fewer;
  }
}

}  // namespace
}  // namespace distsim::data
