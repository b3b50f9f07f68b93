// The IDX file format (LeCun's MNIST format) for unsigned-byte images and labels: a validating
// reader over a MappedFile and a writer.
//
// Layout (all integers big-endian):
//   images: magic 0x00000803, count, rows, cols (16-byte header), then count*rows*cols bytes,
//           image after image, row-major;
//   labels: magic 0x00000801, count (8-byte header), then count bytes.
// The magic's third byte is the data type (0x08 = unsigned byte), its fourth the dimension count.
//
// The reader trusts nothing in the header: every check below fails with DataLoss and a message that
// names the file, what was expected and what was found, before any byte of the payload is used.
// Sizes are computed in 64 bits with overflow checks and compared with the real file length, so a
// header that claims billions of images is refused without allocating anything.
#ifndef DISTSIM_SIM_DATA_IDX_H_
#define DISTSIM_SIM_DATA_IDX_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "sim/data/mapped_file.h"

namespace distsim::data {

// The standard MNIST / Fashion-MNIST file names inside a data folder.
inline constexpr char kTrainImages[] = "train-images-idx3-ubyte";
inline constexpr char kTrainLabels[] = "train-labels-idx1-ubyte";
inline constexpr char kTestImages[] = "t10k-images-idx3-ubyte";
inline constexpr char kTestLabels[] = "t10k-labels-idx1-ubyte";

inline constexpr uint32_t kIdxImagesMagic = 0x00000803;
// Images whose values are big-endian IEEE float32 (IDX data type 0x0D): the features of tabular
// data (csv.h), used as they are rather than scaled from 0..255.
inline constexpr uint32_t kIdxFloatImagesMagic = 0x00000D03;
inline constexpr uint8_t kIdxFloat = 0x0D;
inline constexpr uint32_t kIdxLabelsMagic = 0x00000801;
inline constexpr uint8_t kIdxUnsignedByte = 0x08;
inline constexpr int64_t kIdxImagesHeaderBytes = 16;
inline constexpr int64_t kIdxLabelsHeaderBytes = 8;
// Largest accepted image side: anything bigger is a corrupt header, not a picture.
inline constexpr int kIdxMaxSide = 4096;

// A validated view into an images file. `pixels` points into the MappedFile it was parsed from and
// is valid as long as that mapping lives.
struct IdxImages {
  int64_t count = 0;
  int rows = 0;
  int cols = 0;
  // Bytes per value: 1 (unsigned-byte pixels, magic 0x00000803) or 4 (big-endian float32
  // features, magic 0x00000D03, every one finite).
  int value_bytes = 1;
  const uint8_t* pixels = nullptr;  // count * rows * cols * value_bytes bytes
};

// A validated view into a labels file, valid as long as its MappedFile lives.
struct IdxLabels {
  int64_t count = 0;
  const uint8_t* labels = nullptr;  // count bytes, each < the num_classes they were checked against
};

// Validates `file` as an IDX unsigned-byte (or float32: kIdxFloatImagesMagic, whose values must
// all be finite) images file: not empty, not gzip-compressed, magic,
// data type, dimension count, 0 < rows, cols <= kIdxMaxSide, count > 0, and a length of exactly
// header + count*rows*cols bytes. DataLoss on any failure.
absl::StatusOr<IdxImages> ParseIdxImages(const MappedFile& file);

// Validates `file` as an IDX unsigned-byte labels file, as above, and checks every label is in
// [0, num_classes) (the message names the first bad label, its index and byte offset).
// num_classes must be in [1, 256] (InvalidArgument otherwise).
absl::StatusOr<IdxLabels> ParseIdxLabels(const MappedFile& file, int num_classes);

// The same two parsers over bytes already in memory (`bytes`, the contents of the file `path`,
// which only names it in messages), with the same checks and messages. The views point into
// `bytes`, which must outlive them. The fuzz target fuzz/fuzz_idx.cc calls these.
absl::StatusOr<IdxImages> ParseIdxImages(std::string_view path, std::span<const uint8_t> bytes);
absl::StatusOr<IdxLabels> ParseIdxLabels(std::string_view path, std::span<const uint8_t> bytes,
                                         int num_classes);

// Writes an unsigned-byte IDX file with the given dimensions (1 to 4 of them) and payload, whose
// size must equal the product of the dimensions (InvalidArgument otherwise). OS failures are
// Unknown and name the path. Overwrites an existing file.
absl::Status WriteIdxFile(const std::string& path, std::span<const uint32_t> dims,
                          std::span<const uint8_t> payload);

// Writes pixels.size() / (rows*cols) images of rows x cols (pixels image after image, row-major).
absl::Status WriteIdxImages(const std::string& path, int rows, int cols,
                            std::span<const uint8_t> pixels);

// Writes pixels.size() / (rows*cols) examples of rows x cols float32 values as an IDX float
// images file (kIdxFloatImagesMagic). InvalidArgument for a value that is not finite.
absl::Status WriteIdxFloatImages(const std::string& path, int rows, int cols,
                                 std::span<const float> values);

// Writes labels.size() labels.
absl::Status WriteIdxLabels(const std::string& path, std::span<const uint8_t> labels);

// The bytes of IDX files as the writers above write them, for files made of several (an object
// file, object_file.h). InvalidArgument for pixels that are not whole images.
// `value_bytes` 4: `pixels` holds big-endian float32 values already (IdxImages::value_bytes).
absl::StatusOr<std::vector<uint8_t>> IdxImagesBytes(int rows, int cols,
                                                    std::span<const uint8_t> pixels,
                                                    int value_bytes = 1);
absl::StatusOr<std::vector<uint8_t>> IdxLabelsBytes(std::span<const uint8_t> labels);

// Reads the big-endian float32 at `p` (a value of a float images file).
float ReadBigEndianFloat(const uint8_t* p);

// Writes `bytes` (a whole IDX file, e.g. from IdxImagesBytes) to `path`. Unknown naming the path
// when the file cannot be created or written.
absl::Status WriteIdxBytes(const std::string& path, std::span<const uint8_t> bytes);

// Example ids (an object's list of the indices its examples have in the whole training set): a
// 1-dimensional IDX file of big-endian 32-bit integers, magic 0x00000C01.
inline constexpr uint32_t kIdxIdsMagic = 0x00000C01;

// The bytes of `ids`, each in [0, 2^31) (InvalidArgument otherwise).
absl::StatusOr<std::vector<uint8_t>> IdxIdsBytes(std::span<const int64_t> ids);

// Parses ids from `bytes` (`path` names them in messages): DataLoss for a wrong magic, a length
// other than 8 + 4 x count or a negative id.
absl::StatusOr<std::vector<int64_t>> ParseIdxIds(std::string_view path,
                                                 std::span<const uint8_t> bytes);

}  // namespace distsim::data

#endif  // DISTSIM_SIM_DATA_IDX_H_
