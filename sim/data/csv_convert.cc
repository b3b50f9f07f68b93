// Normalisation and the conversion of a pair of CSV files into an IDX folder (csv.h).
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sim/base/status.h"
#include "sim/data/csv.h"
#include "sim/data/idx.h"
#include "sim/data/random.h"

namespace distsim::data {
namespace {

namespace fs = std::filesystem;

// x' = (x - offset[f]) * scale[f] for feature f.
struct Scaling {
  std::vector<double> offset;
  std::vector<double> scale;
};

Scaling ScalingOf(Normalization normalization, const CsvTable& train) {
  const int d = train.features;
  Scaling s{std::vector<double>(d, 0.0), std::vector<double>(d, 1.0)};
  if (normalization == Normalization::kNone) return s;
  for (int f = 0; f < d; ++f) {
    double lo = INFINITY, hi = -INFINITY, sum = 0, sum_sq = 0;
    for (int64_t i = 0; i < train.examples; ++i) {
      const double v = train.values[i * d + f];
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      sum += v;
    }
    const double mean = sum / static_cast<double>(train.examples);
    for (int64_t i = 0; i < train.examples; ++i) {
      const double dv = train.values[i * d + f] - mean;
      sum_sq += dv * dv;
    }
    const double sd = std::sqrt(sum_sq / static_cast<double>(train.examples));
    const bool min_max = normalization == Normalization::kMinMax;
    const double spread = min_max ? hi - lo : sd;
    s.offset[f] = min_max ? lo : mean;
    s.scale[f] = spread > 0 ? 1.0 / spread : 0.0;  // a constant feature becomes 0
  }
  return s;
}

void Apply(const Scaling& s, CsvTable* table) {
  const int d = table->features;
  for (int64_t i = 0; i < table->examples; ++i) {
    for (int f = 0; f < d; ++f) {
      float& v = table->values[i * d + f];
      // Test values far outside the training range could exceed float after scaling: clamp.
      const double scaled = (v - s.offset[f]) * s.scale[f];
      v = static_cast<float>(std::clamp(scaled, -1e30, 1e30));
    }
  }
}

uint64_t MixTable(uint64_t h, const CsvTable& t) {
  h = Mix64(h ^ static_cast<uint64_t>(t.examples) ^ (static_cast<uint64_t>(t.features) << 40));
  for (float v : t.values) {
    uint32_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    h = Mix64(h ^ bits);
  }
  for (uint8_t y : t.labels) h = Mix64(h ^ y);
  return h;
}

absl::Status WriteSet(const std::string& dir, const CsvTable& t, const char* images,
                      const char* labels) {
  DS_RETURN_IF_ERROR(WriteIdxFloatImages(absl::StrCat(dir, "/", images), 1, t.features, t.values));
  return WriteIdxLabels(absl::StrCat(dir, "/", labels), t.labels);
}

// Writes both sets into a temporary folder beside `dir`, then renames it to `dir`; a folder
// another process renamed into place first wins.
absl::Status WriteIdxFolder(const std::string& dir, const CsvTable& train, const CsvTable& test) {
  const std::string temp = absl::StrCat(dir, ".tmp-", getpid());
  std::error_code ec;
  fs::remove_all(temp, ec);
  if (!fs::create_directories(temp, ec) || ec) {
    return IoError("cannot create the CSV cache folder", temp, ec.value());
  }
  absl::Status written = WriteSet(temp, train, kTrainImages, kTrainLabels);
  if (written.ok()) written = WriteSet(temp, test, kTestImages, kTestLabels);
  if (written.ok() && rename(temp.c_str(), dir.c_str()) != 0 && errno != EEXIST &&
      errno != ENOTEMPTY) {
    written = IoError("cannot rename into", dir, errno);
  }
  fs::remove_all(temp, ec);
  return written;
}

}  // namespace

void Normalize(Normalization normalization, CsvTable* train, CsvTable* test) {
  const Scaling s = ScalingOf(normalization, *train);
  Apply(s, train);
  Apply(s, test);
}

absl::StatusOr<std::string> ConvertCsvToIdx(const std::string& train_path,
                                            const std::string& test_path,
                                            const CsvOptions& options,
                                            const std::string& cache_root) {
  DS_ASSIGN_OR_RETURN(CsvTable train, ReadCsv(train_path, options));
  DS_ASSIGN_OR_RETURN(CsvTable test, ReadCsv(test_path, options));
  if (train.features != test.features) {
    return absl::DataLossError(absl::StrCat(train_path, " has ", train.features, " features but ",
                                            test_path, " has ", test.features,
                                            "; the two files must have the same"));
  }
  Normalize(options.normalization, &train, &test);
  const uint64_t h = MixTable(MixTable(0x637376696478ULL, train), test);  // "csvidx"
  const std::string dir = absl::StrCat(cache_root, "/", absl::StrFormat("%016x", h));
  std::error_code ec;
  fs::create_directories(cache_root, ec);
  if (ec) return IoError("cannot create the CSV cache folder", cache_root, ec.value());
  if (!fs::is_directory(dir, ec)) DS_RETURN_IF_ERROR(WriteIdxFolder(dir, train, test));
  return dir;
}

}  // namespace distsim::data
