// A run's data assembled from its workers' reports of their channels (channel_report.h), as the
// coordinator of a `distsim train` job does: N and each host's download when every worker
// reported, and what is left out, said in words, when one did not. The truth is the reports'
// own figures, summed by hand.
#include "sim/node/channel_report.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace distsim::node {
namespace {

using ::testing::HasSubstr;

RunPlan ThreeHosts(data::Distribution distribution) {
  RunPlan plan;
  plan.shape.workers = 3;
  plan.shape.hosts = 3;
  plan.shape.worker_host = {0, 1, 2};
  plan.distribution.distribution = distribution;
  return plan;
}

HostData Channel(std::vector<uint32_t> keys, uint64_t examples, uint64_t bytes) {
  HostData h;
  for (uint32_t k : keys) h.add_objects(k);
  h.set_examples(examples);
  h.set_channel_bytes(bytes);
  h.set_channel_dir("/opt/ml/input/data/train");
  return h;
}

TEST(ChannelReportTest, ShardsAddUpToTheSetAndEachHostDownloadsItsOwn) {
  const RunPlan plan = ThreeHosts(data::Distribution::kShardedByKey);
  const ReportedData data = DataFromReports(
      plan, {Channel({0, 3}, 200, 1000), Channel({1, 4}, 400, 2000), Channel({2, 5}, 600, 3000)},
      {"algo-1", "algo-2", "algo-3"});
  EXPECT_EQ(data.summary.distribution(), "SHARDED_BY_KEY");
  EXPECT_EQ(data.summary.examples(), 200u + 400u + 600u);
  ASSERT_EQ(data.summary.hosts_size(), 3);
  EXPECT_EQ(data.summary.hosts(2).name(), "algo-3");
  EXPECT_EQ(data.summary.hosts(2).host(), 2u);
  ASSERT_EQ(data.downloads.size(), 3u);
  EXPECT_EQ(data.downloads[1].bytes, 2000);
  EXPECT_EQ(data.downloads[1].objects, 3);  // two objects and the test set
  ASSERT_EQ(data.left_out.size(), 1u);  // only what needs every object
  EXPECT_THAT(data.left_out[0], HasSubstr("object_sizes"));
}

TEST(ChannelReportTest, AHostThatNeverReportedIsLeftOutAndSaidSo) {
  const RunPlan plan = ThreeHosts(data::Distribution::kShardedByKey);
  const ReportedData data = DataFromReports(
      plan, {Channel({0, 3}, 200, 1000), HostData(), Channel({2, 5}, 600, 3000)},
      {"algo-1", "algo-2", "algo-3"});
  EXPECT_EQ(data.summary.examples(), 0u) << "N cannot be known without algo-2's shard";
  EXPECT_EQ(data.summary.hosts_size(), 2);
  EXPECT_TRUE(data.downloads.empty()) << "no modelled download with one unknown";
  ASSERT_EQ(data.left_out.size(), 3u);
  EXPECT_THAT(data.left_out[1], HasSubstr("data.examples (N): no channel report from algo-2"));
  EXPECT_THAT(data.left_out[2], HasSubstr("download_seconds"));
  // Replicated: any host's channel is the whole set.
  const ReportedData replicated =
      DataFromReports(ThreeHosts(data::Distribution::kFullyReplicated),
                      {Channel({0, 1}, 1200, 9), HostData(), Channel({0, 1}, 1200, 9)}, {});
  EXPECT_EQ(replicated.summary.examples(), 1200u);
  EXPECT_EQ(replicated.summary.hosts(1).name(), "algo-3");  // SageMaker's names by default
}

}  // namespace
}  // namespace distsim::node
