// What the CLI prints on stdout at the end of a run or a comparison: a summary a person reads,
// sizes in kB/MB/GB, times with their units.
#ifndef DISTSIM_SIM_CLI_SUMMARY_H_
#define DISTSIM_SIM_CLI_SUMMARY_H_

#include <string>

#include "distsim/result.pb.h"

namespace distsim::cli {

// A comparison's table (claims included) and its findings.
void PrintCompare(const CompareResult& result);

// One run: what it trained, how fast, on the modelled cluster, and where its files are.
void PrintSummary(const RunResult& r, const std::string& out_dir);

}  // namespace distsim::cli

#endif  // DISTSIM_SIM_CLI_SUMMARY_H_
