#include "sim/data/synthetic_csv.h"

#include <cerrno>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sim/base/status.h"
#include "sim/data/random.h"

namespace distsim::data {
namespace {

constexpr double kScale[4] = {1, 10, 0.1, 100};
constexpr double kOffset[4] = {0, 50, -3, 200};
constexpr double kMargin = 0.15;

// Writes `count` examples to `path`, drawing from stream `stream` of `seed`.
absl::Status WriteFile(const std::string& path, int64_t count, uint64_t seed, uint64_t stream) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return IoError("cannot create", path, errno);
  std::string text = "f1,f2,f3,f4,label\n";
  uint64_t draw = 0;
  for (int64_t written = 0; written < count;) {
    std::array<double, 4> u;
    for (double& v : u) {
      const uint64_t bits = Mix64(Mix64(seed ^ (stream << 56)) + draw++);
      v = 2.0 * static_cast<double>(bits >> 11) / 9007199254740992.0 - 1.0;  // [-1, 1)
    }
    const int label = SeparableClass(u);
    if (label < 0) continue;
    for (int k = 0; k < 4; ++k) absl::StrAppendFormat(&text, "%.6g,", kScale[k] * u[k] + kOffset[k]);
    absl::StrAppend(&text, label, "\n");
    ++written;
  }
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  const int err = errno;
  if (std::fclose(f) != 0 || !ok) return IoError("cannot write", path, err);
  return absl::OkStatus();
}

}  // namespace

int SeparableClass(const std::array<double, 4>& u) {
  const double s[3] = {u[0] + u[1], -u[0] + u[2], -u[1] - u[2] + 0.3 * u[3]};
  int best = 0;
  for (int c = 1; c < 3; ++c) {
    if (s[c] > s[best]) best = c;
  }
  for (int c = 0; c < 3; ++c) {
    if (c != best && s[best] - s[c] < kMargin) return -1;
  }
  return best;
}

absl::Status WriteSeparableCsv(const std::string& dir, int64_t train, int64_t test,
                               uint64_t seed) {
  DS_RETURN_IF_ERROR(WriteFile(absl::StrCat(dir, "/train.csv"), train, seed, 1));
  return WriteFile(absl::StrCat(dir, "/test.csv"), test, seed, 2);
}

}  // namespace distsim::data
