// What is particular to the in-process PeerLink and to the mailbox every transport shares: spinning
// receivers, the spin budget, reassembling floats. The PeerLink contract itself (tags, modes,
// deadlines, Abort, dead peers) is tested over every transport in peer_link_transport_test.cc.
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
  std::thread waiter([&] {
    std::vector<float> out(4);
    status = links[0]->Recv(1, {}, out, In(60), RecvMode::kCopy);
  });
  // The receiver counts as waiting from its first spin (polled: no fixed sleep).
  while (links[0]->blocked_receivers() == 0) {
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  const auto start = std::chrono::steady_clock::now();
  links[0]->Abort();
  waiter.join();
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));  // << 60 s
}

TEST(SpinMicrosForTest, SpinsOnlyWhenEveryRankHasACore) {
  const long cores = sysconf(_SC_NPROCESSORS_ONLN);
  EXPECT_GT(SpinMicrosFor(1), 0);
  EXPECT_GT(SpinMicrosFor(static_cast<int>(cores)), 0);
  EXPECT_EQ(SpinMicrosFor(static_cast<int>(cores) + 1), 0);
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
