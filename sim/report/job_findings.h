// The findings of `distsim compare` on the modelled job (ModelledClock.job_seconds: the
// File-mode download, the training and the model's upload), part of compare_findings.h's
// Findings. Pure functions of the CompareResult proto; thread-compatible.
#ifndef DISTSIM_SIM_REPORT_JOB_FINDINGS_H_
#define DISTSIM_SIM_REPORT_JOB_FINDINGS_H_

#include <string>
#include <vector>

#include "distsim/result.pb.h"

namespace distsim::report {

// For each row of `rows` on one host (its first run's ModelledClock.hosts, else its workers)
// and the rows on two or more hosts with the same model: whether they beat it on the modelled
// job time (medians), and why: the communication share of their modelled step and the bytes a
// worker moves per step (each way, mean over workers) against the NIC's bandwidth. One
// sentence per one-host row, each starting with `prefix` (against several multi-host rows, each
// with its communication share alone); rows without a modelled job are left out.
void HostsFindings(const CompareResult& result, const std::vector<const CompareRow*>& rows,
                   const std::string& prefix, std::vector<std::string>* out);

// For each two of `rows` whose first runs' configs differ only in data.distribution, both with
// a modelled job: how many times as fast the faster one's job was (and its download against the
// other's), the gap between their final test accuracies at the same run length, and over how
// many repeats the medians were taken. One sentence per pair, starting with `prefix`.
void DistributionJobFindings(const CompareResult& result,
                             const std::vector<const CompareRow*>& rows, const std::string& prefix,
                             std::vector<std::string>* out);

}  // namespace distsim::report

#endif  // DISTSIM_SIM_REPORT_JOB_FINDINGS_H_
