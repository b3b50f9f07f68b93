// The shard's trace record: bounded, sampled by step, and fed by the shard's own pushes and
// parked pulls.
#include "sim/strategy/shard_trace.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "kernels/optimizer.h"
#include "sim/strategy/ps_shard.h"

namespace distsim::strategy {
namespace {

ShardSpan Apply(int worker, uint64_t step) {
  return {ShardSpan::kApply, worker, step, 0.001 * step, 0.001 * step + 0.0005, 0, step};
}

// 1000 steps of 3 workers into room for 64: the record never holds more, keeps the steps that
// are multiples of its stride (a power of two), every worker's span of each such step, and no
// other step.
TEST(ShardTraceTest, KeepsAtMostItsCapacitySampledByStep) {
  ShardTrace trace(64);
  for (uint64_t step = 1; step <= 1000; ++step) {
    for (int w = 0; w < 3; ++w) {
      trace.Add(Apply(w, step));
      ASSERT_LE(trace.spans().size(), 64u);
    }
  }
  const uint64_t stride = trace.stride();
  EXPECT_EQ(stride & (stride - 1), 0u) << "a power of two";
  EXPECT_GT(stride, 1u);
  std::set<uint64_t> steps;
  for (const ShardSpan& s : trace.spans()) {
    EXPECT_EQ(s.step % stride, 0u);
    steps.insert(s.step);
  }
  EXPECT_EQ(trace.spans().size(), 3 * steps.size()) << "a step's spans are kept together";
  EXPECT_EQ(steps.size(), 1000 / stride);
  EXPECT_GT(trace.spans().size(), 64u / 2) << "at least half full after a halving";
}

TEST(ShardTraceTest, CapacityZeroRecordsNothing) {
  ShardTrace trace(0);
  trace.Add(Apply(0, 1));
  EXPECT_TRUE(trace.spans().empty());
}

// A SYNC shard of 2 workers: worker 1's pull of step 2 parks until worker 0's push completes the
// step; every push gives an apply span of its worker and step.
TEST(ShardTraceTest, ShardRecordsAppliesAndParkedPulls) {
  PsShardOptions options;
  options.num_workers = 2;
  options.mode = PsMode::kSync;
  options.chunk_bytes = 4096;
  options.trace_capacity = 100;
  const std::vector<float> init(10, 0.5f);
  PsShard shard(options, {{0, 10}}, init,
                [](int64_t size) { return kernels::MakeSgd<float>(size, 0.1f); });
  const std::vector<float> grad(10, 0.25f);
  ASSERT_TRUE(shard.PushChunk(1, 0, 0, grad).ok());
  ASSERT_TRUE(shard.FinishPush(1, 0, 0).ok());
  std::thread pull([&shard] { EXPECT_TRUE(shard.WaitPull(1, 1, absl::Seconds(10)).ok()); });
  while (shard.parked() == 0) std::this_thread::yield();
  ASSERT_TRUE(shard.PushChunk(0, 0, 0, grad).ok());
  ASSERT_TRUE(shard.FinishPush(0, 0, 0).ok());
  pull.join();
  const std::vector<ShardSpan> spans = shard.trace_spans();
  ASSERT_EQ(spans.size(), 3u);
  int applies = 0, parked = 0;
  for (const ShardSpan& s : spans) {
    EXPECT_LE(s.start_s, s.end_s);
    if (s.kind == ShardSpan::kApply) {
      ++applies;
      EXPECT_EQ(s.step, 1u);
    } else {
      ++parked;
      EXPECT_EQ(s.worker, 1);
      EXPECT_EQ(s.step, 2u);
      EXPECT_EQ(s.version, 1u) << "released by the step's update";
    }
  }
  EXPECT_EQ(applies, 2);
  EXPECT_EQ(parked, 1);
  EXPECT_EQ(shard.trace_stride(), 1u);
}

}  // namespace
}  // namespace distsim::strategy
