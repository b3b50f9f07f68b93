// The findings of `distsim compare` (CompareResult.findings): plain sentences on what the rows
// show. A pure function of the CompareResult proto (its rows, filled, and its runs); no I/O,
// thread-compatible.
#ifndef DISTSIM_SIM_REPORT_COMPARE_FINDINGS_H_
#define DISTSIM_SIM_REPORT_COMPARE_FINDINGS_H_

#include <string>
#include <vector>

#include "distsim/result.pb.h"

namespace distsim::report {

// Sentences group by group (consecutive rows of one CompareRow.group, groups of two rows or
// more): accuracy, speed, time to target and data distribution on the wall clock; on the
// modelled job, whether several hosts beat one and why, and what the data distribution costs in
// job time and accuracy (job_findings.h); on the modelled clock, the fastest run on the simulated
// cluster and, for runs that differ only in network bandwidth, each strategy's modelled step time
// as the bandwidth falls. Each sentence about a group starts with FindingPrefix(group)
// (row_facts.h). Last, for runs
// with faults (stragglers) next to the same run without them anywhere in the comparison, the
// share of its modelled throughput each keeps.
std::vector<std::string> Findings(const CompareResult& result);

}  // namespace distsim::report

#endif  // DISTSIM_SIM_REPORT_COMPARE_FINDINGS_H_
