// A run that ended at chance accuracy is named as one, in its summary line and among the
// findings of a comparison, first; a run that learned is not.
#include "sim/report/chance.h"

#include "gtest/gtest.h"
#include "sim/report/compare_findings.h"

namespace distsim::report {
namespace {

RunResult Made(const std::string& name, double accuracy, double chance) {
  RunResult run;
  run.mutable_config()->set_name(name);
  run.set_final_test_accuracy(accuracy);
  run.set_chance_accuracy(chance);
  run.add_evals()->set_test_accuracy(accuracy);
  return run;
}

TEST(ChanceTest, BelowOneAndAHalfTimesGuessingIsChance) {
  EXPECT_TRUE(AtChance(Made("a", 0.102, 0.1)));
  EXPECT_TRUE(AtChance(Made("a", 0.149, 0.1)));
  EXPECT_FALSE(AtChance(Made("a", 0.151, 0.1)));
  EXPECT_FALSE(AtChance(Made("a", 0.9, 0.1)));
  EXPECT_TRUE(AtChance(Made("a", 0.6, 0.5)));   // two classes: 75% is the line
  EXPECT_FALSE(AtChance(Made("a", 0.1, 0.0)));  // class count unknown (an old result.json)
  RunResult never_evaluated = Made("a", 0, 0.1);
  never_evaluated.clear_evals();
  EXPECT_FALSE(AtChance(never_evaluated));
}

TEST(ChanceTest, TheNoteNamesTheRunAndHintsAtStalenessWhenThereWasAny) {
  RunResult run = Made("async_64w", 0.098, 0.1);
  EXPECT_EQ(ChanceNote(run),
            "async_64w ended at chance accuracy (9.8%; guessing gives 10.0%): it learned "
            "nothing.");
  run.mutable_staleness()->set_max(40);
  EXPECT_NE(ChanceNote(run).find("stale"), std::string::npos);
  EXPECT_EQ(ChanceNote(Made("fine", 0.97, 0.1)), "");
}

TEST(ChanceTest, FindingsSayItFirst) {
  CompareResult result;
  *result.add_runs() = Made("learned", 0.97, 0.1);
  *result.add_runs() = Made("stuck", 0.11, 0.1);
  const std::vector<std::string> findings = Findings(result);
  ASSERT_FALSE(findings.empty());
  EXPECT_EQ(findings[0].rfind("stuck ended at chance accuracy", 0), 0u) << findings[0];
  for (const std::string& f : findings) EXPECT_EQ(f.find("learned ended"), std::string::npos);
}

}  // namespace
}  // namespace distsim::report
