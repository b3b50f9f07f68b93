#include "sim/report/chance.h"

#include "absl/strings/str_format.h"

namespace distsim::report {

bool AtChance(const RunResult& run) {
  return run.chance_accuracy() > 0 && !run.evals().empty() &&
         run.final_test_accuracy() < 1.5 * run.chance_accuracy();
}

std::string ChanceNote(const RunResult& run) {
  if (!AtChance(run)) return "";
  return absl::StrFormat(
      "%s ended at chance accuracy (%.1f%%; guessing gives %.1f%%): it learned nothing%s.",
      run.config().name(), 100 * run.final_test_accuracy(), 100 * run.chance_accuracy(),
      run.staleness().max() > 0
          ? "; its updates were stale (lower the learning rate or use fewer asynchronous workers)"
          : "");
}

std::vector<std::string> ChanceFindings(const CompareResult& result) {
  std::vector<std::string> out;
  for (const RunResult& run : result.runs()) {
    if (std::string note = ChanceNote(run); !note.empty()) out.push_back(std::move(note));
  }
  return out;
}

}  // namespace distsim::report
