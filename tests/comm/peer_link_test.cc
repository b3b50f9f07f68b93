// The in-process PeerLink and the mailbox both transports share: tags, modes, deadlines, Abort.
#include "sim/comm/peer_link.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <thread>
#include <vector>

#include "sim/comm/frame_mailbox.h"
#include "sim/comm/inproc_peer_link.h"
#include "tests/comm/ring_sum_check.h"

namespace distsim::comm {
namespace {

absl::Time In(double seconds) { return absl::Now() + absl::Seconds(seconds); }

TEST(InProcessLinkTest, FramesMatchByTagWhateverTheOrder) {
  auto links = MakeInProcessLinks(2);
  std::vector<float> a = {1, 2, 3}, b = {4, 5};
  ASSERT_TRUE(links[0]->Send(1, {1, 7, 0}, a, In(1)).ok());
  ASSERT_TRUE(links[0]->Send(1, {1, 7, 1}, b, In(1)).ok());
  std::vector<float> got_b(2), got_a(3);
  ASSERT_TRUE(links[1]->Recv(0, {1, 7, 1}, got_b, In(1), RecvMode::kCopy).ok());
  ASSERT_TRUE(links[1]->Recv(0, {1, 7, 0}, got_a, In(1), RecvMode::kCopy).ok());
  EXPECT_EQ(got_a, a);
  EXPECT_EQ(got_b, b);
  EXPECT_EQ(links[0]->bytes_sent(), 5 * sizeof(float) + 2 * kInProcessFrameOverhead);
  EXPECT_EQ(links[1]->bytes_received(), links[0]->bytes_sent());
}

TEST(InProcessLinkTest, SumModeAddsIntoTheOutput) {
  auto links = MakeInProcessLinks(3);
  std::vector<float> in = {1.5f, -2};
  ASSERT_TRUE(links[2]->Send(0, {}, in, In(1)).ok());
  std::vector<float> out = {10, 20};
  ASSERT_TRUE(links[0]->Recv(2, {}, out, In(1), RecvMode::kSum).ok());
  EXPECT_EQ(out, (std::vector<float>{11.5f, 18}));
}

TEST(InProcessLinkTest, ErrorsNameTheirCause) {
  auto links = MakeInProcessLinks(2);
  std::vector<float> out(2), one(1);
  EXPECT_EQ(links[1]->Recv(0, {}, out, In(0.05), RecvMode::kCopy).code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(links[0]->Send(0, {}, one, In(1)).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(links[0]->Send(2, {}, one, In(1)).code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(links[0]->Send(1, {}, one, In(1)).ok());
  EXPECT_EQ(links[1]->Recv(0, {}, out, In(1), RecvMode::kCopy).code(),
            absl::StatusCode::kInternal);  // 1 float sent, 2 expected
}

TEST(InProcessLinkTest, AbortUnblocksAWaitingReceivePromptly) {
  auto links = MakeInProcessLinks(2);
  absl::Status status;
  auto start = std::chrono::steady_clock::now();
  std::thread waiter([&] {
    std::vector<float> out(4);
    status = links[0]->Recv(1, {}, out, In(30), RecvMode::kCopy);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  links[0]->Abort();
  waiter.join();
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  std::vector<float> one(1);
  EXPECT_EQ(links[0]->Send(1, {}, one, In(1)).code(), absl::StatusCode::kCancelled);
}

// With a spin budget (a Recv spins before it sleeps), results are the same and Abort still
// releases a waiter, whether it is spinning or asleep.
TEST(InProcessLinkTest, SpinningMailboxesGiveTheSameSumsAndStillAbort) {
  for (int n : {2, 3}) {
    auto owned = MakeInProcessLinks(n, /*spin_micros=*/200);
    std::vector<PeerLink*> links;
    for (auto& link : owned) links.push_back(link.get());
    uint64_t step = 0;
    for (int64_t len : {int64_t{1}, int64_t{1000}, int64_t{(1 << 16) + 3}}) {
      ExpectRingSumMatches(links, len, ++step, 4096);
    }
  }
  auto links = MakeInProcessLinks(2, /*spin_micros=*/1000000);  // spins for up to a second
  absl::Status status;
  auto start = std::chrono::steady_clock::now();
  std::thread waiter([&] {
    std::vector<float> out(4);
    status = links[0]->Recv(1, {}, out, In(30), RecvMode::kCopy);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  links[0]->Abort();
  waiter.join();
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(SpinMicrosForTest, SpinsOnlyWhenEveryRankHasACore) {
  const long cores = sysconf(_SC_NPROCESSORS_ONLN);
  EXPECT_GT(SpinMicrosFor(1), 0);
  EXPECT_GT(SpinMicrosFor(static_cast<int>(cores)), 0);
  EXPECT_EQ(SpinMicrosFor(static_cast<int>(cores) + 1), 0);
}

TEST(InProcessLinkTest, AGonePeerIsUnavailable) {
  auto links = MakeInProcessLinks(2);
  links[1].reset();
  std::vector<float> out(1);
  EXPECT_EQ(links[0]->Recv(1, {}, out, In(5), RecvMode::kCopy).code(),
            absl::StatusCode::kUnavailable);
}

TEST(UnpackFloatsTest, FloatsSplitAcrossPiecesAreReassembled) {
  std::vector<float> values = {1, 2, 3, 4, 5};
  auto bytes = std::as_bytes(std::span<const float>(values));
  // Pieces of 3, 6, 1 and 10 bytes: floats straddle every boundary.
  std::vector<std::span<const std::byte>> pieces = {bytes.subspan(0, 3), bytes.subspan(3, 6),
                                                    bytes.subspan(9, 1), bytes.subspan(10, 10)};
  std::vector<float> copy(5, 0), sum(5, 1);
  UnpackFloats(pieces, copy, RecvMode::kCopy);
  UnpackFloats(pieces, sum, RecvMode::kSum);
  EXPECT_EQ(copy, values);
  EXPECT_EQ(sum, (std::vector<float>{2, 3, 4, 5, 6}));
}

}  // namespace
}  // namespace distsim::comm
