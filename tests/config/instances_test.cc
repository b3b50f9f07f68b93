// The faults of a config per worker: reproducible by seed, merged per worker, described plainly.
#include "sim/config/instances.h"

#include <set>
#include <string>

#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "sim/config/config.h"

namespace distsim::config {
namespace {

RunConfig WithFaults(const std::string& faults, uint64_t seed, int workers = 4) {
  RunConfig config;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(
      "workers: " + std::to_string(workers) + " parameter_server {} cluster { " + faults + " }",
      &config));
  config.set_seed(seed);
  return config;
}

TEST(FaultsByWorker, NamedWorkersGetTheirFaultsMerged) {
  auto by_worker = FaultsByWorker(WithFaults(
      "faults { worker: 2 slowdown: 3 } faults { worker: 2 slowdown: 4 pause_at_step: 5 "
      "pause_s: 1.5 } faults { worker: 1 kill_at_step: 7 }",
      1));
  ASSERT_EQ(by_worker.size(), 4u);
  EXPECT_EQ(by_worker[2].slowdown(), 4);
  EXPECT_EQ(by_worker[2].pause_at_step(), 5u);
  EXPECT_EQ(by_worker[2].pause_s(), 1.5);
  EXPECT_EQ(by_worker[1].kill_at_step(), 7u);
  EXPECT_EQ(by_worker[0].slowdown(), 0) << "untouched";
  auto lines = DescribeFaults(by_worker);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "worker 1: killed before step 7");
  EXPECT_EQ(lines[1], "worker 2: 4x slower; pauses 1.5 s before step 5");
}

// An unnamed fault hits a non-chief worker chosen by the seed: the same seed, the same worker;
// across seeds, every non-chief worker gets picked and the chief never.
TEST(FaultsByWorker, UnnamedFaultIsPickedBySeedNeverTheChief) {
  std::set<int> picked;
  for (uint64_t seed = 0; seed < 64; ++seed) {
    auto a = FaultsByWorker(WithFaults("faults { slowdown: 4 }", seed));
    auto b = FaultsByWorker(WithFaults("faults { slowdown: 4 }", seed));
    int hit = -1;
    for (int w = 0; w < 4; ++w) {
      EXPECT_EQ(a[w].slowdown(), b[w].slowdown());
      if (a[w].slowdown() == 4) hit = w;
    }
    ASSERT_GE(hit, 1) << "seed " << seed;
    picked.insert(hit);
  }
  EXPECT_EQ(picked, (std::set<int>{1, 2, 3}));
  // One worker only: the fault hits it.
  auto alone = FaultsByWorker(WithFaults("faults { slowdown: 2 }", 9, 1));
  EXPECT_EQ(alone[0].slowdown(), 2);
}

}  // namespace
}  // namespace distsim::config
