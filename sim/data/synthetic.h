// Synthetic IDX data for tests: small, seeded, and learnable.
//
// Each class gets a prototype image made of a few random Gaussian blobs; an example is its class's
// prototype shifted by up to max_shift pixels, scaled by a random gain in [0.8, 1.2], plus
// per-pixel noise, rounded and clipped to 0..255. The classes are therefore well separated (a
// nearest-class-mean classifier or a softmax model reaches well over 90%) yet not identical copies.
// Everything is drawn from splitmix64 streams, so the same spec gives the same bytes everywhere.
#ifndef DISTSIM_SIM_DATA_SYNTHETIC_H_
#define DISTSIM_SIM_DATA_SYNTHETIC_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace distsim::data {

struct SyntheticSpec {
  int64_t train_size = 2000;  // examples in the training split, >= 1
  int64_t test_size = 500;    // examples in the test split, >= 1
  int rows = 28;              // [1, 4096]
  int cols = 28;              // [1, 4096]
  int num_classes = 10;       // [1, 256]
  uint64_t seed = 1;
  double noise_stddev = 40.0;  // per-pixel noise, in 0..255 units, >= 0
  int max_shift = 1;           // random translation in pixels, each axis, >= 0
};

// One split in memory: pixels image after image (row-major), one label per image.
struct SyntheticSplit {
  std::vector<uint8_t> pixels;
  std::vector<uint8_t> labels;
};

// Generates the training split (`train` true) or the test split of `spec`. Both splits share the
// class prototypes and use different noise streams. InvalidArgument if the spec is out of range.
absl::StatusOr<SyntheticSplit> MakeSyntheticSplit(const SyntheticSpec& spec, bool train);

// Writes both splits of `spec` into `dir` (created if missing) under the standard names
// kTrainImages, kTrainLabels, kTestImages, kTestLabels, overwriting existing files. InvalidArgument
// for a bad spec; Unknown (naming the path) if a file cannot be written.
absl::Status WriteSyntheticIdx(const std::string& dir, const SyntheticSpec& spec = {});

}  // namespace distsim::data

#endif  // DISTSIM_SIM_DATA_SYNTHETIC_H_
