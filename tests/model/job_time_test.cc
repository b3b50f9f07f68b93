// The job around the training (download, upload, bill, idle hosts) against hand arithmetic.
#include "sim/model/job_time.h"

#include "gtest/gtest.h"

namespace distsim::model {
namespace {

// 100 MB/s and 0.1 s per object, as round numbers for the hand computation.
constexpr FileModeLink kLink{100e6, 0.1};

TEST(JobTimeTest, ReplicatedHostsEachDownloadEverything) {
  // 2 hosts, each all 5 objects of 10 MB: 50e6 / 100e6 + 5 x 0.1 = 1.0 s each. Training 3 s,
  // both busy to the end. Upload of a 4 MB model: 0.04 + 0.1 = 0.14 s. Job 1.0 + 3 + 0.14 =
  // 4.14 s; billed 2 x 4.14 = 8.28 host-seconds at $0.36/h = $0.000828. Idle: host 1 waits for
  // the upload, 0.14 s.
  const JobTime job = ModelJobTime(
      {{50e6, 5, 3.0, true}, {50e6, 5, 3.0, false}}, kLink, 3.0, 4e6, 0.36);
  EXPECT_DOUBLE_EQ(job.download_s[0], 1.0);
  EXPECT_DOUBLE_EQ(job.download_s_max, 1.0);
  EXPECT_DOUBLE_EQ(job.upload_s, 0.14);
  EXPECT_DOUBLE_EQ(job.job_s, 4.14);
  EXPECT_DOUBLE_EQ(job.billed_host_s, 8.28);
  EXPECT_NEAR(job.cost_usd, 8.28 * 0.36 / 3600, 1e-15);
  EXPECT_NEAR(job.idle_host_s, 0.14, 1e-12);
  EXPECT_NEAR(job.idle_cost_usd, 0.14 * 0.36 / 3600, 1e-15);
}

TEST(JobTimeTest, TheSlowestDownloadHoldsEveryoneAndAnIdleHostIsBilled) {
  // Sharded, unequal objects: host 0 downloads 2 objects of 30 MB (0.6 + 0.2 = 0.8 s), host 1 one
  // of 10 MB (0.1 + 0.1 = 0.2 s), host 2 none (idle: more hosts than objects). Training 2 s; host
  // 1's worker finishes at 1.5 s. No upload (model_bytes 0 still makes one request: 0.1 s).
  // Job 0.8 + 2 + 0.1 = 2.9 s. Busy: host 0 0.8 + 2 + 0.1 = 2.9; host 1 0.2 + 1.5 = 1.7; host 2
  // 0. Idle 0 + 1.2 + 2.9 = 4.1 host-seconds; billed 3 x 2.9 = 8.7.
  const JobTime job = ModelJobTime(
      {{60e6, 2, 2.0, true}, {10e6, 1, 1.5, false}, {0, 0, 0, false}}, kLink, 2.0, 0, 1.0);
  EXPECT_DOUBLE_EQ(job.download_s[0], 0.8);
  EXPECT_DOUBLE_EQ(job.download_s[1], 0.2);
  EXPECT_DOUBLE_EQ(job.download_s[2], 0.0);
  EXPECT_DOUBLE_EQ(job.job_s, 2.9);
  EXPECT_NEAR(job.idle_host_s, 4.1, 1e-12);
  EXPECT_DOUBLE_EQ(job.billed_host_s, 8.7);
  EXPECT_NEAR(job.cost_usd, 8.7 / 3600, 1e-15);
}

TEST(JobTimeTest, NoPriceNoCost) {
  const JobTime job = ModelJobTime({{1e6, 1, 1.0, true}}, kLink, 1.0, 1e6, 0);
  EXPECT_EQ(job.cost_usd, 0);
  EXPECT_EQ(job.idle_cost_usd, 0);
  EXPECT_DOUBLE_EQ(job.job_s, 0.11 + 1.0 + 0.11);
}

}  // namespace
}  // namespace distsim::model
