// A run's restarts (supervision.max_restarts) in words: the end-of-run summary prints them and
// compare's report lists them under the rows of the runs that had any.
#ifndef DISTSIM_SIM_REPORT_RESTARTS_H_
#define DISTSIM_SIM_REPORT_RESTARTS_H_

#include <string>
#include <vector>

#include "distsim/result.pb.h"

namespace distsim::report {

// "<failure>; every process again from step S (N steps done again)", or "...; the worker
// rejoined alone at step S (...)".
std::string DescribeRestart(const Restart& restart);

// A note listing each restart of `runs`, by run name; empty when none had one.
std::string RestartsNoteHtml(const std::vector<const RunResult*>& runs);

}  // namespace distsim::report

#endif  // DISTSIM_SIM_REPORT_RESTARTS_H_
