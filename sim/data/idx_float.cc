// The float32 images of idx.h (kIdxFloatImagesMagic): reading one value and writing a file.
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "sim/base/status.h"
#include "sim/data/idx.h"

namespace distsim::data {

float ReadBigEndianFloat(const uint8_t* p) {
  const uint32_t bits =
      (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
  float v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

absl::Status WriteIdxFloatImages(const std::string& path, int rows, int cols,
                                 std::span<const float> values) {
  std::vector<uint8_t> payload;
  payload.reserve(4 * values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("WriteIdxFloatImages ", path, ": value ", i, " is not finite"));
    }
    uint32_t bits;
    std::memcpy(&bits, &values[i], sizeof bits);
    for (int shift = 24; shift >= 0; shift -= 8) payload.push_back((bits >> shift) & 0xff);
  }
  DS_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, IdxImagesBytes(rows, cols, payload, 4));
  return WriteIdxBytes(path, bytes);
}

}  // namespace distsim::data
