// Facts about one row of a comparison and its runs that the table, the findings and report.html
// share: its first repeat, its config as a key for "differs only in", its length in words, and
// why its final test accuracy is below its best. Pure functions of the protos; thread-compatible.
#ifndef DISTSIM_SIM_REPORT_ROW_FACTS_H_
#define DISTSIM_SIM_REPORT_ROW_FACTS_H_

#include <functional>
#include <optional>
#include <string>

#include "distsim/result.pb.h"

namespace distsim::report {

// The first repeat of `row` in result.runs(), or nullptr.
const RunResult* FirstRunOf(const CompareResult& result, const CompareRow& row);

// The config of `row`'s first run without its name and output folder and with what `clear`
// clears cleared: two rows with equal keys (SameKey) differ only in what was cleared.
std::optional<RunConfig> RowKey(const CompareResult& result, const CompareRow& row,
                                const std::function<void(RunConfig*)>& clear);
bool SameKey(const std::optional<RunConfig>& a, const std::optional<RunConfig>& b);

// The start of a finding about `group`: its title up to the first colon and ": " ("1. SageMaker
// TF job: "), "" for the unnamed group.
std::string FindingPrefix(const std::string& group);

// How long a run of `row` trains, from its first run's config: "2 epochs/worker", "1000
// steps/worker", "1000 global steps"; else CompareRow.run_length; else "".
std::string RunLengthText(const CompareResult& result, const CompareRow& row);

// Whether the row's best test accuracy exceeds its final one by 0.5 points or more (medians).
bool BestAboveFinal(const CompareRow& row);

// Whether the idle hosts' share of a row's bill is worth showing: over a hundredth of it (hosts
// always wait a little, for the slowest download and the chief's upload).
bool IdleWorthSaying(const CompareRow& row);

// "$0.124", "$0.0031".
std::string Usd(double usd);

// The table's footnote on the runs whose idle hosts are worth saying: a line each, or one line
// for more than three.
std::string IdleHostsText(const CompareResult& result);

// Why the final accuracy of `row` is below its best, from what the data says (empty unless
// BestAboveFinal): the points between the medians, where the first repeat's best evaluation was,
// and the cause the run's set-up points to: every update from one worker's own shard of
// label-skewed objects (SHARDED_BY_KEY, asynchronous), stale asynchronous updates (with the
// staleness measured), or, for any other run, how far its test accuracy moved between
// evaluations.
std::string BestBelowFinalReason(const CompareResult& result, const CompareRow& row);

// CompareRow.network of a run: "0.1 Gbit/s, 50 us, shaped" (its NIC bandwidth and latency, jitter
// and loss when set, and whether the real traffic was shaped or only the modelled clock uses
// it); "" for a local run, which has no network.
std::string DescribeNetwork(const RunResult& run);

// Short number forms of the findings: "93.1%", "8.40 ms", "1250" samples/s, "12.3 s".
std::string Pct(double fraction);
std::string Ms(double ms);
std::string Rate(double per_second);
std::string Secs(double seconds);

}  // namespace distsim::report

#endif  // DISTSIM_SIM_REPORT_ROW_FACTS_H_
