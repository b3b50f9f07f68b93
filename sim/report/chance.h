// Runs that learned nothing: a final test accuracy at the level of guessing. distsim says so in
// the run's summary and in the compare report's findings, instead of exiting 0 without a word.
#ifndef DISTSIM_SIM_REPORT_CHANCE_H_
#define DISTSIM_SIM_REPORT_CHANCE_H_

#include <string>
#include <vector>

#include "distsim/result.pb.h"

namespace distsim::report {

// Whether `run` ended at chance accuracy: its final test accuracy below 1.5 times that of
// guessing (15% for 10 classes). False when either is unknown (no evaluation, no class count).
bool AtChance(const RunResult& run);

// One sentence on a run at chance ("<name> ended at chance accuracy (...): it learned nothing"),
// with a hint when its updates were stale; "" for any other run.
std::string ChanceNote(const RunResult& run);

// ChanceNote of every run of a comparison that ended at chance.
std::vector<std::string> ChanceFindings(const CompareResult& result);

}  // namespace distsim::report

#endif  // DISTSIM_SIM_REPORT_CHANCE_H_
