// fuzz_idx: the IDX reader (sim/data/idx.h) on arbitrary bytes, read as an images file and as a
// labels file (10 and 256 classes). Contracts checked: a refusal is DataLoss; an accepted file's
// header describes exactly the bytes there are (1 byte a pixel, or 4 a float32 feature), the
// views point just past the header, and every value and label can be read (ASan checks each byte
// lies inside the input).
#include <cstddef>
#include <cstdint>
#include <span>

#include "absl/status/statusor.h"
#include "fuzz/fuzz_check.h"
#include "sim/data/idx.h"

namespace {

using distsim::data::IdxImages;
using distsim::data::IdxLabels;

void CheckImages(std::span<const uint8_t> bytes) {
  absl::StatusOr<IdxImages> images = distsim::data::ParseIdxImages("fuzz-images", bytes);
  if (!images.ok()) {
    FUZZ_CHECK(absl::IsDataLoss(images.status()));
    return;
  }
  FUZZ_CHECK(images->count > 0 && images->rows > 0 && images->cols > 0);
  FUZZ_CHECK(images->value_bytes == 1 || images->value_bytes == 4);
  // Unsigned-byte pixels or float32 features: value_bytes each.
  const uint64_t pixels = static_cast<uint64_t>(images->count) * images->rows * images->cols;
  const uint64_t value_bytes = pixels * static_cast<uint64_t>(images->value_bytes);
  FUZZ_CHECK(distsim::data::kIdxImagesHeaderBytes + value_bytes == bytes.size());
  FUZZ_CHECK(images->pixels == bytes.data() + distsim::data::kIdxImagesHeaderBytes);
  uint64_t sum = 0;
  for (uint64_t i = 0; i < value_bytes; ++i) sum += images->pixels[i];
  FUZZ_CHECK(sum <= 255 * value_bytes);
}

void CheckLabels(std::span<const uint8_t> bytes, int num_classes) {
  absl::StatusOr<IdxLabels> labels =
      distsim::data::ParseIdxLabels("fuzz-labels", bytes, num_classes);
  if (!labels.ok()) {
    FUZZ_CHECK(absl::IsDataLoss(labels.status()));
    return;
  }
  FUZZ_CHECK(labels->count > 0);
  FUZZ_CHECK(distsim::data::kIdxLabelsHeaderBytes + static_cast<uint64_t>(labels->count) ==
             bytes.size());
  FUZZ_CHECK(labels->labels == bytes.data() + distsim::data::kIdxLabelsHeaderBytes);
  for (int64_t i = 0; i < labels->count; ++i) FUZZ_CHECK(labels->labels[i] < num_classes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  CheckImages(bytes);
  CheckLabels(bytes, 10);
  CheckLabels(bytes, 256);
  return 0;
}
