// The comparison of `distsim compare` as text: the table the terminal shows, the CSV
// (compare.csv), and the network description a row carries. Pure functions of the
// CompareResult proto; no I/O, thread-compatible.
#ifndef DISTSIM_SIM_REPORT_COMPARE_TABLE_H_
#define DISTSIM_SIM_REPORT_COMPARE_TABLE_H_

#include <string>

#include "distsim/result.pb.h"

namespace distsim::report {

// CompareRow.network of a run: "0.1 Gbit/s, 50 us, shaped" (its NIC bandwidth and latency, jitter
// and loss when set, and whether the real traffic was shaped or only the modelled clock uses
// it); "" for a local run, which has no network.
std::string DescribeNetwork(const RunResult& run);

// The table as text for the terminal: two header lines, one line per row under "-- group"
// titles, then footnotes (what the efficiency is against, the target, the modelled cluster, the
// networks and the faults). Columns no row would fill (time to target, staleness, the modelled
// clock, data distribution, bandwidth, faults) are left out.
std::string FormatCompareTable(const CompareResult& result);

// compare.csv: a header line and one line per row with every field of the row.
std::string FormatCompareCsv(const CompareResult& result);

}  // namespace distsim::report

#endif  // DISTSIM_SIM_REPORT_COMPARE_TABLE_H_
