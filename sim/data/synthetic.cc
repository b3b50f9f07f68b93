#include "sim/data/synthetic.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "sim/base/status.h"
#include "sim/data/idx.h"
#include "sim/data/random.h"

namespace distsim::data {
namespace {

constexpr int kBlobsPerClass = 3;

absl::Status ValidateSpec(const SyntheticSpec& spec) {
  auto bad = [](absl::string_view field, auto value, absl::string_view range) {
    return absl::InvalidArgumentError(
        absl::StrCat("SyntheticSpec.", field, " = ", value, " is out of range ", range));
  };
  constexpr int64_t kMaxExamples = int64_t{1} << 31;
  if (spec.train_size < 1 || spec.train_size > kMaxExamples) {
    return bad("train_size", spec.train_size, "[1, 2^31]");
  }
  if (spec.test_size < 1 || spec.test_size > kMaxExamples) {
    return bad("test_size", spec.test_size, "[1, 2^31]");
  }
  if (spec.rows < 1 || spec.rows > kIdxMaxSide) return bad("rows", spec.rows, "[1, 4096]");
  if (spec.cols < 1 || spec.cols > kIdxMaxSide) return bad("cols", spec.cols, "[1, 4096]");
  if (spec.num_classes < 1 || spec.num_classes > 256) {
    return bad("num_classes", spec.num_classes, "[1, 256]");
  }
  if (!(spec.noise_stddev >= 0)) return bad("noise_stddev", spec.noise_stddev, "[0, inf)");
  if (spec.max_shift < 0) return bad("max_shift", spec.max_shift, "[0, inf)");
  return absl::OkStatus();
}

// Class prototypes, class after class, each rows*cols intensities in [0, 255].
std::vector<float> MakePrototypes(const SyntheticSpec& spec) {
  SplitMix64 rng(Mix64(spec.seed ^ 0x70726f746f747970ULL));
  const int dim = spec.rows * spec.cols;
  const double side = std::min(spec.rows, spec.cols);
  std::vector<float> prototypes(static_cast<size_t>(spec.num_classes) * dim, 0.0f);
  for (int c = 0; c < spec.num_classes; ++c) {
    float* proto = prototypes.data() + static_cast<size_t>(c) * dim;
    for (int b = 0; b < kBlobsPerClass; ++b) {
      const double cy = (0.15 + 0.7 * rng.Uniform()) * spec.rows;
      const double cx = (0.15 + 0.7 * rng.Uniform()) * spec.cols;
      const double sigma = std::max(0.6, (0.06 + 0.1 * rng.Uniform()) * side);
      const double amplitude = 170.0 + 85.0 * rng.Uniform();
      for (int y = 0; y < spec.rows; ++y) {
        for (int x = 0; x < spec.cols; ++x) {
          const double d2 = (y - cy) * (y - cy) + (x - cx) * (x - cx);
          proto[y * spec.cols + x] += amplitude * std::exp(-d2 / (2 * sigma * sigma));
        }
      }
    }
    for (int k = 0; k < dim; ++k) proto[k] = std::min(proto[k], 255.0f);
  }
  return prototypes;
}

// Approximately standard normal: the sum of four uniforms, centred and scaled to variance 1.
double Noise(SplitMix64& rng) {
  const double sum = rng.Uniform() + rng.Uniform() + rng.Uniform() + rng.Uniform();
  return (sum - 2.0) * std::sqrt(3.0);
}

}  // namespace

absl::StatusOr<SyntheticSplit> MakeSyntheticSplit(const SyntheticSpec& spec, bool train) {
  DS_RETURN_IF_ERROR(ValidateSpec(spec));
  const std::vector<float> prototypes = MakePrototypes(spec);
  const int64_t count = train ? spec.train_size : spec.test_size;
  const int dim = spec.rows * spec.cols;
  SplitMix64 rng(Mix64(spec.seed ^ (train ? 0x747261696e000000ULL : 0x7465737400000000ULL)));
  SyntheticSplit split;
  split.pixels.resize(static_cast<size_t>(count) * dim);
  split.labels.resize(count);
  const uint64_t shifts = 2 * static_cast<uint64_t>(spec.max_shift) + 1;
  for (int64_t i = 0; i < count; ++i) {
    const int label = static_cast<int>(rng.Below(spec.num_classes));
    split.labels[i] = static_cast<uint8_t>(label);
    const int dy = static_cast<int>(rng.Below(shifts)) - spec.max_shift;
    const int dx = static_cast<int>(rng.Below(shifts)) - spec.max_shift;
    const double gain = 0.8 + 0.4 * rng.Uniform();
    const float* proto = prototypes.data() + static_cast<size_t>(label) * dim;
    uint8_t* out = split.pixels.data() + static_cast<size_t>(i) * dim;
    for (int y = 0; y < spec.rows; ++y) {
      for (int x = 0; x < spec.cols; ++x) {
        const int sy = y - dy;
        const int sx = x - dx;
        const bool inside = sy >= 0 && sy < spec.rows && sx >= 0 && sx < spec.cols;
        const double base = inside ? proto[sy * spec.cols + sx] : 0.0;
        const double value = base * gain + spec.noise_stddev * Noise(rng);
        out[y * spec.cols + x] =
            static_cast<uint8_t>(std::clamp(std::lround(value), long{0}, long{255}));
      }
    }
  }
  return split;
}

absl::Status WriteSyntheticIdx(const std::string& dir, const SyntheticSpec& spec) {
  DS_RETURN_IF_ERROR(ValidateSpec(spec));
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return IoError("cannot create folder", dir, ec.value());
  for (bool train : {true, false}) {
    DS_ASSIGN_OR_RETURN(SyntheticSplit split, MakeSyntheticSplit(spec, train));
    const std::string images = absl::StrCat(dir, "/", train ? kTrainImages : kTestImages);
    const std::string labels = absl::StrCat(dir, "/", train ? kTrainLabels : kTestLabels);
    DS_RETURN_IF_ERROR(WriteIdxImages(images, spec.rows, spec.cols, split.pixels));
    DS_RETURN_IF_ERROR(WriteIdxLabels(labels, split.labels));
  }
  return absl::OkStatus();
}

}  // namespace distsim::data
