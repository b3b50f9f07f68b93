// PushStream (ps_push_stream.h): the checks PsService makes on every message of a push, and the
// shard calls it makes, over a real PsShard and without gRPC. The fuzz target fuzz_ps_messages
// runs the same code on arbitrary messages; grpc_ps_test.cc runs it behind the service.
#include "sim/comm/ps_push_stream.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "kernels/optimizer.h"
#include "sim/strategy/ps_shard.h"

namespace distsim::comm {
namespace {

// The bytes of `floats`, as a PsPushChunk's data carries them.
std::string Data(const std::vector<float>& floats) {
  std::string data(floats.size() * sizeof(float), '\0');
  if (!floats.empty()) std::memcpy(data.data(), floats.data(), data.size());
  return data;
}

class PushStreamTest : public ::testing::Test {
 protected:
  // One ASYNC shard of two workers owning 6 elements, in chunks of 4 (chunks 0 and 1).
  PushStreamTest()
      : shard_(Options(), {{0, 6}}, std::vector<float>(6, 1.0f),
               [](int64_t size) { return kernels::MakeSgd<float>(size, 0.5f); }) {}

  static strategy::PsShardOptions Options() {
    strategy::PsShardOptions options;
    options.num_workers = 2;
    options.mode = strategy::PsMode::kAsync;
    options.chunk_bytes = 16;
    return options;
  }

  strategy::PsShard shard_;
  const std::string chunk0_ = Data({2, 2, 2, 2});
  const std::string chunk1_ = Data({4, 4});
};

TEST_F(PushStreamTest, AppliesEveryChunkAndFinishesThePush) {
  PushStream stream(&shard_);
  ASSERT_TRUE(
      stream.Add({.worker = 1, .clock = 0, .pulled_version = 0, .chunk = 0, .data = chunk0_}).ok());
  ASSERT_TRUE(stream.Add({.worker = 1, .clock = 0, .chunk = 1, .data = chunk1_}).ok());
  absl::StatusOr<PushAck> ack = stream.Finish();
  ASSERT_TRUE(ack.ok()) << ack.status();
  EXPECT_EQ(ack->version, 1u);
  EXPECT_EQ(shard_.clocks(), (std::vector<uint64_t>{0, 1}));
  std::vector<float> params(6);
  shard_.CopyParamsTo(params);
  EXPECT_EQ(params, (std::vector<float>{0, 0, 0, 0, -1, -1}));  // 1 - 0.5 * gradient
}

TEST_F(PushStreamTest, RefusesWhatTheServiceRefuses) {
  PushStream empty(&shard_);
  EXPECT_EQ(empty.Finish().status().message(), "push without any message");
  // Data of partial floats, or naming another worker or clock than the first message.
  PushStream partial(&shard_);
  EXPECT_EQ(partial.Add({.worker = 0, .chunk = 0, .data = "abc"}).message(),
            "malformed push chunk 0 from worker 0");
  PushStream switched(&shard_);
  ASSERT_TRUE(switched.Add({.worker = 0, .chunk = 0, .data = chunk0_}).ok());
  EXPECT_EQ(switched.Add({.worker = 1, .chunk = 1, .data = chunk1_}).message(),
            "malformed push chunk 1 from worker 1");
  PushStream later(&shard_);
  ASSERT_TRUE(later.Add({.worker = 1, .clock = 0, .chunk = 0, .data = chunk0_}).ok());
  EXPECT_TRUE(
      absl::IsInvalidArgument(later.Add({.worker = 1, .clock = 1, .chunk = 1, .data = chunk1_})));
}

TEST_F(PushStreamTest, PassesTheShardsRefusalsOn) {
  // A message without data is only a header; the shard still expects both chunks at the end.
  PushStream header_only(&shard_);
  ASSERT_TRUE(header_only.Add({.worker = 0, .clock = 0, .data = {}}).ok());
  EXPECT_TRUE(absl::IsInvalidArgument(header_only.Finish().status()));
  // Chunks out of order, of the wrong length, or holding a non-finite value.
  PushStream skipped(&shard_);
  EXPECT_TRUE(absl::IsInvalidArgument(skipped.Add({.worker = 1, .chunk = 1, .data = chunk1_})));
  PushStream wrong_length(&shard_);
  EXPECT_TRUE(
      absl::IsInvalidArgument(wrong_length.Add({.worker = 1, .chunk = 0, .data = chunk1_})));
  PushStream non_finite(&shard_);
  const std::string nan = Data({1, std::numeric_limits<float>::quiet_NaN(), 1, 1});
  EXPECT_TRUE(absl::IsDataLoss(non_finite.Add({.worker = 1, .chunk = 0, .data = nan})));
  EXPECT_EQ(shard_.version(), 0u);
}

TEST(AsFloatsTest, ViewsAlignedDataAndCopiesTheRest) {
  const std::string data = Data({1, 2, 3});
  std::vector<float> scratch;
  std::span<const float> view = AsFloats(data, &scratch);
  EXPECT_EQ(static_cast<const void*>(view.data()), static_cast<const void*>(data.data()));
  const std::string shifted = "x" + data + "y";  // the floats start one byte in
  std::span<const float> copy = AsFloats(std::string_view(shifted).substr(1, 12), &scratch);
  EXPECT_EQ(copy.data(), scratch.data());
  EXPECT_EQ(std::vector<float>(copy.begin(), copy.end()), (std::vector<float>{1, 2, 3}));
}

}  // namespace
}  // namespace distsim::comm
