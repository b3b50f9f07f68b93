// The findings of `distsim compare` on the modelled clock (part of compare_findings.h's
// Findings): the fastest run on the simulated cluster, each strategy's step time as the bandwidth
// falls, and what stragglers cost. Pure functions of the CompareResult proto.
#ifndef DISTSIM_SIM_REPORT_MODELLED_FINDINGS_H_
#define DISTSIM_SIM_REPORT_MODELLED_FINDINGS_H_

#include <string>
#include <vector>

#include "distsim/result.pb.h"

namespace distsim::report {

// The modelled clock of one group's `rows`: the fastest run on the simulated cluster against the
// slowest (or that they are within 5%) and, for runs that differ only in their network
// bandwidth, how each strategy's modelled step time grows as the bandwidth falls. Each sentence
// starts with `prefix`.
void ModelledFindings(const CompareResult& result, const std::vector<const CompareRow*>& rows,
                      const std::string& prefix, std::vector<std::string>* out);

// Rows with injected faults against the same run without them (anywhere in the comparison): how
// much of its modelled throughput each strategy keeps.
void FaultFindings(const CompareResult& result, std::vector<std::string>* out);

}  // namespace distsim::report

#endif  // DISTSIM_SIM_REPORT_MODELLED_FINDINGS_H_
