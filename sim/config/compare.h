// Compare configs: loading, defaults, validation, and the expansion into the runs to make.
#ifndef DISTSIM_SIM_CONFIG_COMPARE_H_
#define DISTSIM_SIM_CONFIG_COMPARE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "distsim/config.pb.h"

namespace distsim::config {

// One entry of a comparison: a row of its table, run `repeats` times.
struct CompareEntry {
  std::string name;
  std::string group;
  std::string description;
  std::string baseline;  // the row its scaling efficiency is measured against ("" = default)
  RunConfig config;      // defaults filled and validated; config.name() == name
  int repeats = 1;       // CompareRun.repeats, else CompareConfig.repeats
};

// Fills the CompareConfig defaults (output_dir "out", repeats 1, scaling WEAK, target 0.95,
// lr_scaling NONE).
CompareConfig WithCompareDefaults(CompareConfig config);

// Most runs a comparison may expand to: its explicit runs plus the sweep's points (worker counts
// x strategies x distributions). Each is a training run; a config asking for more is a mistake,
// and expanding it could exhaust memory (a 3 KB sweep can name millions of runs).
inline constexpr uint64_t kMaxCompareRuns = 1000;

// The entries of `config` (defaults filled): the explicit runs in order, then the sweep
// (strategies x workers x distributions, in that nesting). Every entry's RunConfig is the base
// merged with its overrides, defaults filled and validated; errors name the entry and field, all
// of them at once, prefixed by `origin` (the file). A `local` strategy is swept at 1 worker only.
// With lr_scaling LINEAR or SQRT, a nonzero sweep.warmup_steps replaces optimizer.warmup_steps of
// every sweep entry (explicit runs are untouched); with NONE it is an error. More than
// kMaxCompareRuns runs is an error found before anything is expanded. Each of `claims` must name
// two different entries (run, other) of the comparison, within its group when it names one, a
// measure, and a value >= 0.
absl::StatusOr<std::vector<CompareEntry>> ExpandCompare(const CompareConfig& config,
                                                        const std::string& origin);

// Load, defaults, validation and expansion in one call.
absl::StatusOr<std::vector<CompareEntry>> LoadCompare(const std::string& path,
                                                      CompareConfig* config);

}  // namespace distsim::config

#endif  // DISTSIM_SIM_CONFIG_COMPARE_H_
