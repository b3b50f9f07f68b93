// One object of the training set as one file, so that an object is one S3 key: SageMaker's
// ShardedByS3Key deals out keys one by one, and an object kept in several files could be split
// across hosts.
//
// Layout: the 8 bytes "DSOBJ01\n", then three big-endian uint64 section lengths (images, labels,
// ids), then the three sections, whole, one after the other, and nothing after them: an IDX images
// file (unsigned-byte pixels, or float32 features for tabular data), an IDX labels file and an IDX ids file (idx.h: the indices of the object's examples in the
// whole training set).
#ifndef DISTSIM_SIM_DATA_OBJECT_FILE_H_
#define DISTSIM_SIM_DATA_OBJECT_FILE_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace distsim::data {

inline constexpr char kObjectFileSuffix[] = ".dsobj";
inline constexpr int64_t kObjectHeaderBytes = 32;

// Views into an object file's bytes, one per section.
struct ObjectSections {
  std::span<const uint8_t> images;
  std::span<const uint8_t> labels;
  std::span<const uint8_t> ids;
};

// Splits `bytes` (the file `path`, named in messages) into its sections, checking the magic and
// that the lengths add up to the file's. DataLoss naming the file otherwise. The sections are not
// parsed: the IDX parsers of idx.h do that.
absl::StatusOr<ObjectSections> ParseObjectFile(std::string_view path,
                                               std::span<const uint8_t> bytes);

// Writes an object of pixels.size() / (rows x cols x value_bytes) images with their labels and
// ids to `path`, and syncs it to disk. `value_bytes` 4: `pixels` holds big-endian float32
// features (an IDX float images section, idx.h). InvalidArgument for sizes that disagree; Unknown
// naming the path for an OS failure.
absl::Status WriteObjectFile(const std::string& path, int rows, int cols,
                             std::span<const uint8_t> pixels, std::span<const uint8_t> labels,
                             std::span<const int64_t> ids, int value_bytes = 1);

// The size of an object file of `examples` examples of rows x cols values of `value_bytes` bytes.
double ObjectFileBytes(int64_t examples, int rows, int cols, int value_bytes = 1);

}  // namespace distsim::data

#endif  // DISTSIM_SIM_DATA_OBJECT_FILE_H_
