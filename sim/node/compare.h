// `distsim compare`: runs the entries of a comparison one after another and gathers them into a
// CompareResult: one row per entry with the median and spread over its repeats, time to the
// target accuracy, scaling efficiency against the baseline, and the cost of each step.
#ifndef DISTSIM_SIM_NODE_COMPARE_H_
#define DISTSIM_SIM_NODE_COMPARE_H_

#include <atomic>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "distsim/config.pb.h"
#include "distsim/result.pb.h"
#include "sim/config/compare.h"

namespace distsim::node {

struct CompareOptions {
  std::string out_dir;                     // out/<compare-name>: runs go in subfolders
  std::function<std::string(const RunConfig&)> data_dir;  // the IDX folder of a run
  std::FILE* progress = nullptr;           // nullptr: silent
  std::string command_line;
  const std::atomic<bool>* stop = nullptr;
  std::string executable;  // the distsim binary distributed runs spawn (default: this one)
};

// Seconds from the start to the first evaluation at or above `target`; nullopt if none was.
std::optional<double> TimeToTarget(const RunResult& run, double target);

// Runs every entry `config.repeats()` times and returns the comparison. Writes, into
// options.out_dir: compare.json, compare.csv and report.html, and each run's own folder.
absl::StatusOr<CompareResult> RunCompare(const CompareConfig& config,
                                         const std::vector<config::CompareEntry>& entries,
                                         const CompareOptions& options);

// Builds the rows of a comparison from its runs (already in result.runs, grouped by entry in
// order, `repeats` runs each). Exposed for tests.
void FillRows(const std::vector<config::CompareEntry>& entries, CompareResult* result);

// Plain sentences on what the rows show, group by group (CompareResult.findings): accuracy,
// speed, time to target and data distribution on the wall clock; on the modelled clock, the
// fastest run on the simulated cluster and, for runs that differ only in network bandwidth, each
// strategy's modelled step time as the bandwidth falls. Last, for runs with faults (stragglers)
// next to the same run without them anywhere in the comparison, the share of its modelled
// throughput each keeps.
std::vector<std::string> Findings(const CompareResult& result);

// CompareRow.network of a run: "0.1 Gbit/s, 50 us, shaped" (its NIC bandwidth and latency, jitter
// and loss when set, and whether the real traffic was shaped or only the modelled clock uses
// it); "" for a local run, which has no network.
std::string DescribeNetwork(const RunResult& run);

// The table as text for the terminal, and as CSV.
std::string FormatCompareTable(const CompareResult& result);
std::string FormatCompareCsv(const CompareResult& result);

// A rough estimate of a comparison's run time in seconds (model FLOPs per sample times samples,
// at a conservative speed for this machine, plus start-up per run), for the warning before a
// long comparison starts.
double EstimateSeconds(const std::vector<config::CompareEntry>& entries, int repeats);

}  // namespace distsim::node

#endif  // DISTSIM_SIM_NODE_COMPARE_H_
