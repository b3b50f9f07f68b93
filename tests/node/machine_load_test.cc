// /proc/loadavg parsed, and the repeated link probe summarized, against values written out here.
#include "sim/node/machine_load.h"

#include "gtest/gtest.h"
#include "sim/node/link_probe.h"

namespace distsim::node {
namespace {

TEST(MachineLoadTest, ParsesLoadAvg) {
  absl::StatusOr<MachineLoad> load = ParseLoadAvg("0.81 1.26 0.71 3/111 6311\n");
  ASSERT_TRUE(load.ok()) << load.status();
  EXPECT_DOUBLE_EQ(load->load1(), 0.81);
  EXPECT_DOUBLE_EQ(load->load5(), 1.26);
  EXPECT_DOUBLE_EQ(load->load15(), 0.71);
  EXPECT_EQ(load->runnable(), 3u);
  EXPECT_EQ(load->tasks(), 111u);
  EXPECT_EQ(load->cores(), 0u);
}

TEST(MachineLoadTest, NamesTheFieldThatDoesNotParse) {
  absl::StatusOr<MachineLoad> load = ParseLoadAvg("0.81 x 0.71 3/111 6311");
  ASSERT_FALSE(load.ok());
  EXPECT_NE(load.status().message().find("/proc/loadavg: 5-minute load"), std::string::npos)
      << load.status();
  EXPECT_FALSE(ParseLoadAvg("0.81 1.26 0.71 3-111 6311").ok());
  EXPECT_FALSE(ParseLoadAvg("0.81 1.26").ok());
}

TEST(MachineLoadTest, ReadsThisMachine) {
  const MachineLoad load = ReadMachineLoad();
  EXPECT_GE(load.cores(), 1u);
  // The reader itself is running while it reads.
  EXPECT_GE(load.runnable(), 1u);
}

TEST(LinkProbeTest, MediansAndTheLargestSpreadPerSize) {
  // 3 repeats of two sizes. 100 bytes: {1, 2, 3} ms: median 2, p25 (rank 0.5) 1.5, p75 (rank
  // 1.5) 2.5, spread 1 / 2 = 0.5. 1000 bytes: {10, 10, 11} ms: median 10, p25 10, p75 10.5,
  // spread 0.05.
  LinkProbe probe = SummarizeProbe(
      {{100, 3e-3}, {1000, 10e-3}, {100, 1e-3}, {1000, 11e-3}, {100, 2e-3}, {1000, 10e-3}}, 3);
  ASSERT_EQ(probe.medians.size(), 2u);
  EXPECT_EQ(probe.medians[0].first, 100);
  EXPECT_DOUBLE_EQ(probe.medians[0].second, 2e-3);
  EXPECT_EQ(probe.medians[1].first, 1000);
  EXPECT_DOUBLE_EQ(probe.medians[1].second, 10e-3);
  EXPECT_NEAR(probe.spread, 0.5, 1e-9);
  EXPECT_EQ(probe.samples.size(), 6u);
  EXPECT_EQ(probe.repeats, 3);
}

TEST(LinkProbeTest, OneLateSendOfSevenMovesNeitherTheMedianNorTheSpread) {
  // {1, 1, 1, 1, 1, 1, 10} ms: median 1, p25 1, p75 1; p90 - p10 would have been 0.4 x 9 ms.
  std::vector<std::pair<double, double>> samples(6, {4096, 1e-3});
  samples.emplace_back(4096, 10e-3);
  LinkProbe probe = SummarizeProbe(samples, 7);
  ASSERT_EQ(probe.medians.size(), 1u);
  EXPECT_DOUBLE_EQ(probe.medians[0].second, 1e-3);
  EXPECT_EQ(probe.spread, 0);
}

}  // namespace
}  // namespace distsim::node
