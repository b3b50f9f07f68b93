// The held-out checks' repeats: medians, spread and the too_busy decision, against values worked
// out by hand in the comments (report::Quantile interpolates between closest ranks).
#include "sim/app/predict_repeats.h"

#include "gtest/gtest.h"

namespace distsim::app {
namespace {

PredictCheck CheckOf(double predicted, std::vector<double> measured) {
  PredictCheck c;
  c.set_name("c");
  for (double m : measured) {
    PredictRepeat* r = c.add_repeats();
    r->set_predicted_step_ms(predicted);
    r->set_measured_step_ms(m);
    if (m > 0) r->set_error((predicted - m) / m);
  }
  return c;
}

TEST(PredictRepeatsTest, RelativeSpreadIsP90MinusP10OverTheMedian) {
  // {100, 110, 130}: median 110; p10 at rank 0.2: 100 + 0.2 x 10 = 102; p90 at rank 1.8:
  // 110 + 0.8 x 20 = 126; (126 - 102) / 110.
  EXPECT_NEAR(RelativeSpread({130, 100, 110}), 24.0 / 110, 1e-12);
  // {100, 120}: median 110, p10 102, p90 118.
  EXPECT_NEAR(RelativeSpread({120, 100}), 16.0 / 110, 1e-12);
  EXPECT_EQ(RelativeSpread({100}), 0);
  EXPECT_EQ(RelativeSpread({}), 0);
}

TEST(PredictRepeatsTest, ErrorIsTheMedianOfTheRepeatsErrors) {
  // Predicted 50 against 40, 50 and 62.5: errors +25%, 0 and -20%; the median is 0, though
  // the median measured time alone would also give 0 here: the next case tells them apart.
  PredictCheck c = CheckOf(50, {40, 50, 62.5});
  SummarizeRepeats(0, &c);
  EXPECT_DOUBLE_EQ(c.predicted_step_ms(), 50);
  EXPECT_DOUBLE_EQ(c.measured_step_ms(), 50);
  EXPECT_DOUBLE_EQ(c.error(), 0);
  // Two repeats, 40 and 50: errors +25% and 0, median +12.5% (not (50 - 45) / 45 = 11.1%).
  PredictCheck two = CheckOf(50, {40, 50});
  SummarizeRepeats(0, &two);
  EXPECT_DOUBLE_EQ(two.measured_step_ms(), 45);
  EXPECT_DOUBLE_EQ(two.error(), 0.125);
}

TEST(PredictRepeatsTest, SteadyRepeatsJudgeTheModel) {
  // 49, 50, 51: p10 49.2, p90 50.8, spread 1.6 / 50 = 3.2%, within 10%.
  PredictCheck c = CheckOf(55, {51, 49, 50});
  SummarizeRepeats(0.05, &c);
  EXPECT_NEAR(c.spread(), 0.032, 1e-12);
  EXPECT_EQ(c.too_busy(), "");
  EXPECT_DOUBLE_EQ(c.error(), 0.1);  // errors 55/51 - 1, +10%, 55/49 - 1: the middle one
}

TEST(PredictRepeatsTest, RepeatsThatSpreadAreTooBusy) {
  // 40, 50, 62.5: p10 42, p90 50 + 0.8 x 12.5 = 60, spread 18 / 50 = 36% > 10%.
  PredictCheck c = CheckOf(50, {40, 50, 62.5});
  SummarizeRepeats(0.05, &c);
  EXPECT_NEAR(c.spread(), 0.36, 1e-12);
  EXPECT_NE(c.too_busy().find("spread 36.0%"), std::string::npos) << c.too_busy();
  EXPECT_EQ(c.too_busy().find("probe"), std::string::npos) << c.too_busy();
}

TEST(PredictRepeatsTest, AnUnsteadyProbeMakesEveryCheckTooBusy) {
  PredictCheck c = CheckOf(50, {49, 50, 51});
  SummarizeRepeats(0.40, &c);  // beyond kMaxProbeSpread, 0.15
  EXPECT_NE(c.too_busy().find("link probe spread 40.0%"), std::string::npos) << c.too_busy();
}

TEST(PredictRepeatsTest, TheBoundsThemselvesStillJudge) {
  EXPECT_EQ(TooBusyReason(kMaxCheckSpread, kMaxProbeSpread), "");
  EXPECT_NE(TooBusyReason(kMaxCheckSpread + 1e-9, 0), "");
  EXPECT_NE(TooBusyReason(0, kMaxProbeSpread + 1e-9), "");
}

TEST(PredictRepeatsTest, ChecksNotRunKeepTheirPrediction) {
  PredictCheck c = CheckOf(50, {0});
  SummarizeRepeats(0.9, &c);
  EXPECT_DOUBLE_EQ(c.predicted_step_ms(), 50);
  EXPECT_EQ(c.measured_step_ms(), 0);
  EXPECT_EQ(c.too_busy(), "");
}

TEST(PredictRepeatsTest, TheTableShowsMedianErrorSpreadAndTooBusy) {
  PredictResult result;
  result.set_repeat(3);
  *result.add_checks() = CheckOf(50, {40, 50, 62.5});
  *result.add_checks() = CheckOf(55, {51, 49, 50});
  result.mutable_checks(1)->set_name("steady");
  for (PredictCheck& c : *result.mutable_checks()) SummarizeRepeats(0, &c);
  const std::string text = ChecksText(result);
  EXPECT_NE(text.find("median of 3 runs"), std::string::npos) << text;
  EXPECT_NE(text.find("+0.0%   36.0%  TOO BUSY"), std::string::npos) << text;
  EXPECT_NE(text.find("+10.0%    3.2%"), std::string::npos) << text;
  EXPECT_NE(text.find("  c: its repeats' step times spread 36.0%"), std::string::npos) << text;
}

}  // namespace
}  // namespace distsim::app
