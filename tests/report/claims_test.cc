// The claims of a comparison checked on hand-made rows: the arithmetic of each measure against
// figures worked out by hand, the direction that decides `holds`, and the words of the summary.
#include "sim/report/claims.h"

#include <string>

#include "gtest/gtest.h"

namespace distsim::report {
namespace {

Stat Median(double v) {
  Stat s;
  s.set_median(v), s.set_min(v), s.set_max(v);
  return s;
}

// A row of `repeats` runs with the given medians.
CompareRow Row(const std::string& name, const std::string& group, int repeats, double job_s,
               double wall_s, double accuracy) {
  CompareRow row;
  row.set_name(name);
  row.set_group(group);
  for (int r = 0; r < repeats; ++r) row.add_run_names(name + "_r" + std::to_string(r + 1));
  *row.mutable_modelled_job_seconds() = Median(job_s);
  *row.mutable_wall_seconds() = Median(wall_s);
  *row.mutable_final_test_accuracy() = Median(accuracy);
  return row;
}

Claim MakeClaim(Claim::Measure measure, const std::string& text, double value) {
  Claim claim;
  claim.set_source("workshop");
  claim.set_text(text);
  claim.set_measure(measure);
  claim.set_run("m2_sharded");
  claim.set_other("m2_replicated");
  claim.set_value(value);
  return claim;
}

TEST(CompareClaimTest, SpeedupIsTheOthersJobOverTheRunsOnBothClocks) {
  // Sharded: 50 s modelled job, 12 s here; replicated: 230 s and 49.2 s.
  const CompareRow sharded = Row("m2_sharded", "2", 3, 50, 12, 0.884);
  const CompareRow replicated = Row("m2_replicated", "2", 3, 230, 49.2, 0.892);
  const ClaimCheck check = CheckClaim(
      MakeClaim(Claim::SPEEDUP, "trained almost 4 times as fast", 4), sharded, replicated);
  EXPECT_DOUBLE_EQ(check.modelled(), 4.6);  // 230 / 50
  EXPECT_DOUBLE_EQ(check.measured(), 4.1);  // 49.2 / 12
  EXPECT_TRUE(check.holds());
  EXPECT_EQ(check.claim().run(), "m2_sharded");
  EXPECT_EQ(check.summary(),
            "workshop: \"trained almost 4 times as fast\" (4x); here: 4.6x modelled, 4.1x "
            "measured (medians of 3)");

  // The other way round it does not hold: 50 / 230 < 1.
  const ClaimCheck reverse =
      CheckClaim(MakeClaim(Claim::SPEEDUP, "faster", 0), replicated, sharded);
  EXPECT_DOUBLE_EQ(reverse.modelled(), 50.0 / 230);
  EXPECT_FALSE(reverse.holds());
  EXPECT_EQ(reverse.summary(),
            "workshop: \"faster\"; here: 0.2x modelled, 0.2x measured (medians of 3)");
}

TEST(CompareClaimTest, AccuracyGapIsTheOthersAccuracyMinusTheRunsInPoints) {
  const CompareRow sharded = Row("m2_sharded", "2", 3, 50, 12, 0.8840);
  const CompareRow replicated = Row("m2_replicated", "2", 3, 230, 49.2, 0.8920);
  const ClaimCheck check = CheckClaim(
      MakeClaim(Claim::ACCURACY_GAP, "performs just slightly better", 0), sharded, replicated);
  EXPECT_NEAR(check.modelled(), 0.8, 1e-9);  // (0.892 - 0.884) x 100
  EXPECT_EQ(check.measured(), check.modelled());
  EXPECT_TRUE(check.holds());
  EXPECT_EQ(check.summary(),
            "workshop: \"performs just slightly better\"; here: +0.8 points (medians of 3)");

  // Replicated worse: the gap is negative and the claim does not hold.
  const CompareRow worse = Row("m2_replicated", "2", 2, 230, 49.2, 0.8710);
  const ClaimCheck fails = CheckClaim(MakeClaim(Claim::ACCURACY_GAP, "better", 1), sharded, worse);
  EXPECT_NEAR(fails.modelled(), -1.3, 1e-9);
  EXPECT_FALSE(fails.holds());
  EXPECT_EQ(fails.summary(),
            "workshop: \"better\" (1 point); here: -1.3 points (medians of 3 and 2)");
}

TEST(CompareClaimTest, SpeedupWithoutAModelledJobIsUndefinedAndDoesNotHold) {
  const CompareRow a = Row("m2_sharded", "2", 1, 0, 10, 0.9);
  const CompareRow b = Row("m2_replicated", "2", 1, 0, 30, 0.9);
  const ClaimCheck check = CheckClaim(MakeClaim(Claim::SPEEDUP, "", 0), a, b);
  EXPECT_EQ(check.modelled(), 0);
  EXPECT_DOUBLE_EQ(check.measured(), 3);
  EXPECT_FALSE(check.holds());
  EXPECT_EQ(check.summary(),
            "workshop: \"m2_sharded is faster than m2_replicated\"; here: not modelled, 3.0x "
            "measured (one run each)");
}

TEST(CompareClaimsTest, EveryClaimOfTheConfigOnItsRowsAndItsGroup) {
  CompareResult result;
  *result.add_rows() = Row("tf_1_host", "1", 1, 100, 10, 0.95);
  *result.add_rows() = Row("m2_sharded", "2", 3, 50, 12, 0.884);
  *result.add_rows() = Row("m2_replicated", "2", 3, 230, 49.2, 0.892);
  *result.mutable_config()->add_claims() = MakeClaim(Claim::SPEEDUP, "fast", 4);
  Claim missing = MakeClaim(Claim::ACCURACY_GAP, "better", 0);
  missing.set_other("nope");
  missing.set_group("elsewhere");
  *result.mutable_config()->add_claims() = missing;
  const std::vector<ClaimCheck> checks = CheckClaims(result);
  ASSERT_EQ(checks.size(), 2u);
  EXPECT_DOUBLE_EQ(checks[0].modelled(), 4.6);
  EXPECT_EQ(ClaimGroup(result, checks[0]), "2");  // the group of its run's row
  EXPECT_FALSE(checks[1].holds());
  EXPECT_EQ(checks[1].summary(), "workshop: \"better\"; here: no row named \"nope\"");
  EXPECT_EQ(ClaimGroup(result, checks[1]), "elsewhere");

  for (const ClaimCheck& c : checks) *result.add_claims() = c;
  EXPECT_EQ(FormatClaims(result),
            "claims, checked here (speed-ups on the modelled job time):\n"
            "  holds     workshop: \"fast\" (4x); here: 4.6x modelled, 4.1x measured (medians "
            "of 3)\n"
            "  not here  workshop: \"better\"; here: no row named \"nope\"\n");
}

}  // namespace
}  // namespace distsim::report
