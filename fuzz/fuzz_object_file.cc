// fuzz_object_file: the object file reader (sim/data/object_file.h) on arbitrary bytes, then the
// IDX parsers on the sections it hands out, as Dataset::OpenObjects runs them. Contracts checked:
// a refusal is DataLoss; an accepted file's sections lie inside it, one after the other, right
// after the 32-byte header, and fill it exactly; every byte of every section can be read (ASan
// checks each lies inside the input); accepted ids are never negative; accepted float32 images
// (tabular features) hold only finite values.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "fuzz/fuzz_check.h"
#include "sim/data/idx.h"
#include "sim/data/object_file.h"

namespace {

using distsim::data::ObjectSections;

unsigned ReadAll(std::span<const uint8_t> section) {
  unsigned sum = 0;
  for (uint8_t b : section) sum += b;
  return sum;
}

void CheckSections(std::span<const uint8_t> bytes, const ObjectSections& s) {
  const uint8_t* start = bytes.data() + distsim::data::kObjectHeaderBytes;
  FUZZ_CHECK(s.images.data() == start);
  FUZZ_CHECK(s.labels.data() == s.images.data() + s.images.size());
  FUZZ_CHECK(s.ids.data() == s.labels.data() + s.labels.size());
  FUZZ_CHECK(distsim::data::kObjectHeaderBytes + s.images.size() + s.labels.size() + s.ids.size() ==
             bytes.size());
  FUZZ_CHECK(ReadAll(s.images) + ReadAll(s.labels) + ReadAll(s.ids) <= 255 * bytes.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  absl::StatusOr<ObjectSections> sections = distsim::data::ParseObjectFile("fuzz-object", bytes);
  if (!sections.ok()) {
    FUZZ_CHECK(absl::IsDataLoss(sections.status()));
    return 0;
  }
  CheckSections(bytes, *sections);
  auto images = distsim::data::ParseIdxImages("fuzz-object:images", sections->images);
  FUZZ_CHECK(images.ok() || absl::IsDataLoss(images.status()));
  if (images.ok() && images->value_bytes == 4) {  // float features: accepted only when finite
    const int64_t values = images->count * images->rows * images->cols;
    for (int64_t i = 0; i < values; ++i) {
      FUZZ_CHECK(std::isfinite(distsim::data::ReadBigEndianFloat(images->pixels + 4 * i)));
    }
  }
  auto labels = distsim::data::ParseIdxLabels("fuzz-object:labels", sections->labels, 10);
  FUZZ_CHECK(labels.ok() || absl::IsDataLoss(labels.status()));
  absl::StatusOr<std::vector<int64_t>> ids =
      distsim::data::ParseIdxIds("fuzz-object:ids", sections->ids);
  if (!ids.ok()) {
    FUZZ_CHECK(absl::IsDataLoss(ids.status()));
    return 0;
  }
  FUZZ_CHECK(8 + 4 * ids->size() == sections->ids.size());
  for (int64_t id : *ids) FUZZ_CHECK(id >= 0);
  return 0;
}
