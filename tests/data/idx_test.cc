// The IDX reader: reads back what was written, and refuses each kind of malformed file with its own
// message naming the file.
#include "sim/data/idx.h"

#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sim/data/dataset.h"
#include "tests/data/test_files.h"

namespace distsim::data {
namespace {

using ::distsim::data::testing::PutBigEndian32;
using ::distsim::data::testing::ReadBytes;
using ::distsim::data::testing::TempDir;
using ::distsim::data::testing::WriteBytes;

class IdxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    images_ = dir_.File("images");
    labels_ = dir_.File("labels");
    pixels_ = {0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255, 9, 8, 7, 6, 5, 4};  // 3 of 2x3
    labels_bytes_ = {7, 0, 9};
    ASSERT_TRUE(WriteIdxImages(images_, 2, 3, pixels_).ok());
    ASSERT_TRUE(WriteIdxLabels(labels_, labels_bytes_).ok());
  }

  absl::Status Open(int num_classes = 10) {
    return Dataset::Open(images_, labels_, 0, num_classes).status();
  }

  // Expects `status` to have `code`, name `path` and contain `needle`.
  static void ExpectError(const absl::Status& status, absl::StatusCode code,
                          const std::string& path, const std::string& needle) {
    EXPECT_EQ(status.code(), code) << status;
    EXPECT_NE(status.message().find(path), std::string::npos) << status;
    EXPECT_NE(status.message().find(needle), std::string::npos)
        << "expected '" << needle << "' in: " << status;
  }

  // The images header with the given fields, followed by `payload` bytes of zeros.
  static std::vector<uint8_t> ImagesFile(uint32_t magic, uint32_t count, uint32_t rows,
                                         uint32_t cols, size_t payload) {
    std::vector<uint8_t> bytes;
    PutBigEndian32(bytes, magic);
    PutBigEndian32(bytes, count);
    PutBigEndian32(bytes, rows);
    PutBigEndian32(bytes, cols);
    bytes.resize(bytes.size() + payload, 0);
    return bytes;
  }

  TempDir dir_;
  std::string images_;
  std::string labels_;
  std::vector<uint8_t> pixels_;
  std::vector<uint8_t> labels_bytes_;
};

TEST_F(IdxTest, ReadsBackExactlyWhatWasWritten) {
  absl::StatusOr<Dataset> ds = Dataset::Open(images_, labels_);
  ASSERT_TRUE(ds.ok()) << ds.status();
  EXPECT_EQ(ds->size(), 3);
  EXPECT_EQ(ds->rows(), 2);
  EXPECT_EQ(ds->cols(), 3);
  EXPECT_EQ(ds->example_dim(), 6);
  EXPECT_EQ(ds->num_classes(), 10);
  for (int64_t i = 0; i < 3; ++i) {
    EXPECT_EQ(ds->label(i), labels_bytes_[i]);
    for (int k = 0; k < 6; ++k) EXPECT_EQ(ds->image(i)[k], pixels_[i * 6 + k]) << i << "," << k;
  }
}

TEST_F(IdxTest, WriterProducesTheStandardHeader) {
  std::vector<uint8_t> bytes = ReadBytes(images_);
  ASSERT_EQ(bytes.size(), 16u + pixels_.size());
  const std::vector<uint8_t> header = {0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 3};
  EXPECT_EQ(std::vector<uint8_t>(bytes.begin(), bytes.begin() + 16), header);
  bytes = ReadBytes(labels_);
  const std::vector<uint8_t> expected = {0, 0, 8, 1, 0, 0, 0, 3, 7, 0, 9};
  EXPECT_EQ(bytes, expected);
}

TEST_F(IdxTest, MissingFileIsNotFound) {
  const std::string missing = dir_.File("no-such-file");
  absl::Status status = Dataset::Open(missing, labels_).status();
  ExpectError(status, absl::StatusCode::kNotFound, missing, "No such file");
  status = Dataset::Open(images_, missing).status();
  ExpectError(status, absl::StatusCode::kNotFound, missing, "No such file");
}

TEST_F(IdxTest, FolderInsteadOfFileIsAnIoError) {
  absl::Status status = Dataset::Open(dir_.path(), labels_).status();
  ExpectError(status, absl::StatusCode::kUnknown, dir_.path(), "directory");
}

TEST_F(IdxTest, RefusesEmptyFile) {
  WriteBytes(images_, {});
  ExpectError(Open(), absl::StatusCode::kDataLoss, images_, "empty");
}

TEST_F(IdxTest, RefusesGzipCompressedFileByName) {
  WriteBytes(labels_, {0x1f, 0x8b, 0x08, 0x00, 0x12, 0x34, 0x56, 0x78, 0, 3});
  ExpectError(Open(), absl::StatusCode::kDataLoss, labels_, "gzip-compressed");
  ExpectError(Open(), absl::StatusCode::kDataLoss, labels_, "gunzip");
}

TEST_F(IdxTest, RefusesBadMagicAndSaysWhatItFound) {
  WriteBytes(images_, ImagesFile(0x50350a32, 3, 2, 3, 18));  // "P5\n2": a PGM, not IDX
  ExpectError(Open(), absl::StatusCode::kDataLoss, images_, "bad magic number 0x50350a32");
  ExpectError(Open(), absl::StatusCode::kDataLoss, images_, "0x00000803");
}

TEST_F(IdxTest, RecognisesSwappedImagesAndLabels) {
  absl::Status status = Dataset::Open(labels_, images_).status();
  ExpectError(status, absl::StatusCode::kDataLoss, labels_, "swapped");
  EXPECT_NE(status.message().find("0x00000801"), std::string::npos) << status;
}

TEST_F(IdxTest, RefusesOtherDataTypes) {
  WriteBytes(images_, ImagesFile(0x00000e03, 3, 2, 3, 18 * 8));  // double pixels
  ExpectError(Open(), absl::StatusCode::kDataLoss, images_,
              "data type 0x0e (double); expected 0x08 (unsigned byte) or 0x0d (float)");
  const std::vector<uint8_t> float_labels = {0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0};
  ExpectError(ParseIdxLabels("float-labels", float_labels, 10).status(),
              absl::StatusCode::kDataLoss, "float-labels",
              "data type 0x0d (float); expected 0x08 (unsigned byte), magic 0x00000801");
}

// Float32 images (tabular features): read as they are; a NaN or an infinity is refused by place.
TEST_F(IdxTest, FloatImagesReadAsTheyAreNonFiniteRefused) {
  const std::vector<float> values = {0.5f, -2.f, 1e6f, 0.f, 3.25f, -0.125f};  // 3 of 1x2
  ASSERT_TRUE(WriteIdxFloatImages(images_, 1, 2, values).ok());
  absl::StatusOr<Dataset> d = Dataset::Open(images_, labels_);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->value_bytes(), 4);
  EXPECT_EQ(d->example_bytes(), 8);
  std::vector<double> x(6);
  const std::vector<int64_t> ids = {0, 1, 2};
  d->Gather<double>(ids, x.data(), nullptr);
  EXPECT_EQ(x, std::vector<double>(values.begin(), values.end()));
  std::vector<uint8_t> bytes = ReadBytes(images_);
  for (int i = 0; i < 4; ++i) bytes[16 + 4 * 3 + i] = 0xff;  // value 1 of example 1: a NaN
  WriteBytes(images_, bytes);
  ExpectError(Open(), absl::StatusCode::kDataLoss, images_,
              "value 1 of example 1 (byte offset 28) is not a finite number");
}

TEST_F(IdxTest, RefusesWrongDimensionCount) {
  WriteBytes(images_, ImagesFile(0x00000802, 3, 6, 0, 0));
  ExpectError(Open(), absl::StatusCode::kDataLoss, images_, "declares 2 dimensions; expected 3");
}

TEST_F(IdxTest, RefusesImageSizesOutOfRange) {
  WriteBytes(images_, ImagesFile(kIdxImagesMagic, 3, 0, 3, 0));
  ExpectError(Open(), absl::StatusCode::kDataLoss, images_, "image size 0x3 is out of range");
  WriteBytes(images_, ImagesFile(kIdxImagesMagic, 1, 5000, 1, 5000));
  ExpectError(Open(), absl::StatusCode::kDataLoss, images_, "image size 5000x1 is out of range");
}

TEST_F(IdxTest, RefusesZeroImages) {
  WriteBytes(images_, ImagesFile(kIdxImagesMagic, 0, 2, 3, 0));
  ExpectError(Open(), absl::StatusCode::kDataLoss, images_, "claims 0 images");
}

TEST_F(IdxTest, RefusesTruncatedHeader) {
  WriteBytes(images_, {0, 0, 8, 3, 0, 0, 0, 3, 0, 0});
  ExpectError(Open(), absl::StatusCode::kDataLoss, images_,
              "truncated header: an IDX images header is 16 bytes, found 10");
}

TEST_F(IdxTest, RefusesTruncatedPayloadWithByteCounts) {
  std::vector<uint8_t> bytes = ReadBytes(images_);
  bytes.resize(bytes.size() - 5);
  WriteBytes(images_, bytes);
  ExpectError(Open(), absl::StatusCode::kDataLoss, images_,
              "truncated: expected 34 bytes (16-byte header + 3 images of 2x3), found 29");
}

TEST_F(IdxTest, RefusesTrailingBytes) {
  std::vector<uint8_t> bytes = ReadBytes(labels_);
  bytes.push_back(1);
  bytes.push_back(2);
  WriteBytes(labels_, bytes);
  ExpectError(Open(), absl::StatusCode::kDataLoss, labels_, "has 2 trailing bytes after the 11");
}

TEST_F(IdxTest, RefusesHeaderClaimingBillionsOfImagesBeforeAllocating) {
  WriteBytes(images_, ImagesFile(kIdxImagesMagic, 4000000000u, 4096, 4096, 100));
  ExpectError(Open(), absl::StatusCode::kDataLoss, images_,
              "header claims 4000000000 images of 4096x4096");
  std::vector<uint8_t> labels;
  PutBigEndian32(labels, kIdxLabelsMagic);
  PutBigEndian32(labels, 0xffffffffu);
  WriteBytes(labels_, labels);
  ASSERT_TRUE(WriteIdxImages(images_, 2, 3, pixels_).ok());
  ExpectError(Open(), absl::StatusCode::kDataLoss, labels_, "header claims 4294967295 labels");
}

TEST_F(IdxTest, RefusesImageAndLabelCountMismatch) {
  ASSERT_TRUE(WriteIdxLabels(labels_, std::vector<uint8_t>{1, 2}).ok());
  absl::Status status = Open();
  ExpectError(status, absl::StatusCode::kDataLoss, images_, "holds 3 images but");
  EXPECT_NE(status.message().find(labels_ + " holds 2 labels"), std::string::npos) << status;
}

TEST_F(IdxTest, RefusesOutOfRangeLabelNamingItsIndexAndOffset) {
  ASSERT_TRUE(WriteIdxLabels(labels_, std::vector<uint8_t>{3, 12, 200}).ok());
  ExpectError(Open(), absl::StatusCode::kDataLoss, labels_,
              "label 12 at index 1 (byte offset 9) is out of range; expected 0..9");
  // With more classes the same file is fine, up to the largest label.
  EXPECT_TRUE(Open(201).ok());
  ExpectError(Open(200), absl::StatusCode::kDataLoss, labels_, "label 200 at index 2");
}

TEST_F(IdxTest, RefusesNumClassesOutOfRange) {
  EXPECT_EQ(Open(0).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Open(257).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(IdxTest, BytesInMemoryParseAsTheFileDoes) {
  const std::vector<uint8_t> images = ReadBytes(images_);
  absl::StatusOr<IdxImages> parsed = ParseIdxImages("in-memory images", images);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->count, 3);
  EXPECT_EQ(parsed->rows, 2);
  EXPECT_EQ(parsed->cols, 3);
  EXPECT_EQ(parsed->pixels, images.data() + kIdxImagesHeaderBytes);
  const std::vector<uint8_t> labels = ReadBytes(labels_);
  absl::StatusOr<IdxLabels> parsed_labels = ParseIdxLabels("in-memory labels", labels, 10);
  ASSERT_TRUE(parsed_labels.ok()) << parsed_labels.status();
  EXPECT_EQ(parsed_labels->count, 3);
  EXPECT_EQ(parsed_labels->labels[2], 9);
  // The refusals are the file's, naming the path given.
  const std::vector<uint8_t> truncated(images.begin(), images.end() - 1);
  ExpectError(ParseIdxImages("in-memory images", truncated).status(), absl::StatusCode::kDataLoss,
              "in-memory images", "truncated: expected 34 bytes");
  ExpectError(ParseIdxLabels("in-memory labels", labels, 9).status(),
              absl::StatusCode::kDataLoss, "in-memory labels", "label 9 at index 2");
  ExpectError(ParseIdxImages("nothing", {}).status(), absl::StatusCode::kDataLoss, "nothing",
              "file is empty");
}

TEST_F(IdxTest, WriterRefusesInconsistentInput) {
  EXPECT_EQ(WriteIdxImages(images_, 2, 3, std::vector<uint8_t>(7)).code(),
            absl::StatusCode::kInvalidArgument);
  const uint32_t dims[] = {2, 2};
  EXPECT_EQ(WriteIdxFile(images_, dims, std::vector<uint8_t>(5)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(WriteIdxLabels(dir_.File("no-such-dir/labels"), labels_bytes_).code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace distsim::data
