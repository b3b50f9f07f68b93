// The progress line: its ETA from the pace after the warm-up (a hand computation), the bar, and
// plain lines where the output is not a terminal.
#include "sim/report/progress.h"

#include <cmath>
#include <cstdio>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace distsim::report {
namespace {

using ::testing::HasSubstr;

std::string Contents(std::FILE* f) {
  std::rewind(f);
  std::string text;
  for (int c; (c = std::fgetc(f)) != EOF;) text.push_back(static_cast<char>(c));
  return text;
}

// 1000 steps: the first 20 (the warm-up: 1000 / 50) take 2 s each, the rest 0.1 s. A line every
// 100 steps. From the second line past the warm-up on, the ETA is 0.1 s x the steps left; the
// old estimate (elapsed x left / done) would have promised far more.
TEST(ProgressTest, TheEtaFollowsThePaceAfterTheWarmUp) {
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  Progress progress(out, true, 100, 1000);
  ProgressState state;
  state.total_steps = 1000;
  for (uint64_t step = 1; step <= 1000; ++step) {
    state.step = step;
    state.elapsed_s = step <= 20 ? 2.0 * step : 40.0 + 0.1 * (step - 20);
    if (step == 100) {
      EXPECT_TRUE(std::isnan(progress.EtaSeconds(state)));
    }
    progress.Step(state);
    if (step == 300) {
      EXPECT_NEAR(progress.EtaSeconds(state), 0.1 * 700, 1e-9);
      const double whole_run_average = state.elapsed_s * 700 / 300;
      EXPECT_GT(whole_run_average, 2 * progress.EtaSeconds(state));
    }
  }
  progress.Finish();
  const std::string text = Contents(out);
  EXPECT_THAT(text, HasSubstr("step 100/1000 ( 10%)"));
  EXPECT_THAT(text, HasSubstr("eta ?"));
  EXPECT_THAT(text, HasSubstr("step 300/1000 ( 30%)"));
  EXPECT_THAT(text, HasSubstr("eta 1:10"));           // 70 s
  EXPECT_THAT(text, ::testing::Not(HasSubstr("[")));  // no bar off a terminal
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 10);
  std::fclose(out);
}

// A distributed run's steps arrive a heartbeat's batch at a time: 1, 7, 13, ... never lands on a
// multiple of 50, yet every 50 steps passed gives a line.
TEST(ProgressTest, StepsThatArriveInBatchesStillGiveALineEveryInterval) {
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  Progress progress(out, true, 50, 301);
  ProgressState state;
  state.total_steps = 301;
  int drawn = 0;
  for (uint64_t step = 1; step <= 301; step += 6) {
    state.step = step;
    drawn += progress.Step(state);
  }
  progress.Finish();
  const std::string text = Contents(out);
  EXPECT_EQ(drawn, 6);  // at 55, 103, 151, 205, 253 and 301 (past 300, and the last)
  EXPECT_THAT(text, HasSubstr("step 55/301"));
  EXPECT_THAT(text, HasSubstr("step 301/301"));
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 6);
  std::fclose(out);
}

TEST(ProgressTest, TheBarFillsItsShare) {
  EXPECT_EQ(Progress::Bar(0, 4), "[....]");
  EXPECT_EQ(Progress::Bar(0.5, 10), "[#####.....]");
  EXPECT_EQ(Progress::Bar(1, 4), "[####]");
  EXPECT_EQ(Progress::Bar(2, 4), "[####]");
}

}  // namespace
}  // namespace distsim::report
