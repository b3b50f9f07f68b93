// `distsim compare`: runs the entries of a comparison one after another and gathers them into a
// CompareResult: one row per entry with the median and spread over its repeats, time to the
// target accuracy, scaling efficiency against the baseline, and the cost of each step. The table,
// CSV and findings of a CompareResult are sim/report's (compare_table.h, compare_findings.h).
#ifndef DISTSIM_SIM_APP_COMPARE_H_
#define DISTSIM_SIM_APP_COMPARE_H_

#include <atomic>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "distsim/config.pb.h"
#include "distsim/result.pb.h"
#include "sim/config/compare.h"

namespace distsim::app {

struct CompareOptions {
  std::string out_dir;  // out/<compare-name>: runs go in subfolders
  std::function<std::string(const RunConfig&)> data_dir;  // the IDX folder of a run
  std::string objects_dir;  // the object cache every run shares (node::RunOptions::objects_dir)
  std::FILE* progress = nullptr;                          // nullptr: silent
  std::string command_line;
  const std::atomic<bool>* stop = nullptr;
  std::string executable;  // the distsim binary distributed runs spawn (default: this one)
};

// Runs every entry `config.repeats()` times and returns the comparison: its rows, its claims
// checked on them (report::CheckClaims) and its findings. Writes, into
// options.out_dir: compare.json, compare.csv and report.html, and each run's own folder.
absl::StatusOr<CompareResult> RunCompare(const CompareConfig& config,
                                         const std::vector<config::CompareEntry>& entries,
                                         const CompareOptions& options);

// Builds the rows of a comparison from its runs (already in result.runs, grouped by entry in
// order, `repeats` runs each). Exposed for tests.
void FillRows(const std::vector<config::CompareEntry>& entries, CompareResult* result);

// `distsim report`: reads the compare.json at `path` (or in the folder `path`), recomputes its
// rows, claims and findings from its runs with this version's code, and rewrites compare.json,
// compare.csv and report.html beside it. Nothing is trained. NotFound for a missing file;
// DataLoss (exit 65) for one that is not a CompareResult; InvalidArgument when its config no
// longer expands.
absl::StatusOr<CompareResult> ReportCompare(const std::string& path, std::string* out_dir);

// A rough estimate of a comparison's run time in seconds (model FLOPs per sample times samples,
// at a conservative speed for this machine, plus start-up per run; each entry times its repeats),
// for the warning before a long comparison starts. MNIST-shaped data (28 x 28, 60000 examples) is
// assumed for MNIST and Fashion-MNIST; other data (IDX, CSV) is opened from `data_dir(run)` for
// its shape and size when `data_dir` is given, and an entry whose data cannot be opened counts
// its start-up alone (the run itself says what is wrong).
double EstimateSeconds(const std::vector<config::CompareEntry>& entries,
                       const std::function<std::string(const RunConfig&)>& data_dir = nullptr);

}  // namespace distsim::app

#endif  // DISTSIM_SIM_APP_COMPARE_H_
