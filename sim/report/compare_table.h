// The comparison of `distsim compare` as text: the table the terminal shows and the CSV
// (compare.csv). Pure functions of the CompareResult proto; no I/O, thread-compatible.
#ifndef DISTSIM_SIM_REPORT_COMPARE_TABLE_H_
#define DISTSIM_SIM_REPORT_COMPARE_TABLE_H_

#include <string>

#include "distsim/result.pb.h"

namespace distsim::report {

// The table as text for the terminal: two header lines, one line per row under "-- group"
// titles, then footnotes (what the efficiency is against, the target, the modelled cluster and
// job, the idle hosts' cost, the networks and the faults), then the claims (claims.h's
// FormatClaims). Columns no row would fill (run length, best accuracy, time to target,
// staleness, the modelled clock and job, cost, data distribution, bandwidth, faults) are left
// out. The widest line is kept within 160 columns where possible by leaving out, in turn, the
// [min-max] of every column but the test accuracy and then the modelled samples/s.
std::string FormatCompareTable(const CompareResult& result);

// compare.csv: a header line and one line per row with every field of the row.
std::string FormatCompareCsv(const CompareResult& result);

}  // namespace distsim::report

#endif  // DISTSIM_SIM_REPORT_COMPARE_TABLE_H_
