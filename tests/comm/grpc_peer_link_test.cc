// GrpcPeerLink over real loopback sockets: n ranks as threads of this process, each with its own
// gRPC server, as the launcher sets them up (service registered, server started, then Connect).
#include "sim/comm/grpc_peer_link.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <thread>
#include <vector>

#include "kernels/random.h"
#include "sim/comm/grpc_util.h"
#include "sim/strategy/ring_allreduce.h"
#include "tests/comm/ring_sum_check.h"

namespace distsim::comm {
namespace {

constexpr int64_t kSegmentBytes = 256 << 10;

// n linked ranks, each with its own server; torn down in the launcher's order.
struct GrpcGroup {
  GrpcGroup(int n, const std::vector<std::string>& tokens) {
    std::vector<std::string> addresses;
    for (int r = 0; r < n; ++r) {
      links.push_back(std::make_unique<GrpcPeerLink>(GrpcPeerLinkOptions{
          .rank = r, .size = n, .run_token = tokens[r], .max_frame_bytes = kSegmentBytes}));
      ServerOptions options;
      options.max_message_bytes = RingMaxMessageBytes(kSegmentBytes);
      auto server = StartServer(options, {links[r]->service()});
      EXPECT_TRUE(server.ok()) << server.status();
      addresses.push_back(server->address);
      servers.push_back(std::move(server->server));
    }
    connected.resize(n);
    std::vector<std::thread> threads;
    for (int r = 0; r < n; ++r) {
      threads.emplace_back([this, r, addresses] {
        connected[r] = links[r]->Connect(addresses, absl::Now() + absl::Seconds(10));
      });
    }
    for (auto& t : threads) t.join();
  }
  ~GrpcGroup() {
    for (auto& link : links) link->Close(absl::Now() + absl::Seconds(2));
    for (auto& server : servers) server->Shutdown(std::chrono::system_clock::now() +
                                                  std::chrono::seconds(1));
    links.clear();
  }
  std::vector<std::unique_ptr<GrpcPeerLink>> links;
  std::vector<std::unique_ptr<grpc::Server>> servers;
  std::vector<absl::Status> connected;
};

std::vector<std::string> SameToken(int n) { return std::vector<std::string>(n, "run-a"); }

TEST(GrpcPeerLinkTest, RingAllreduceMatchesTheSumOverLoopback) {
  for (int n = 2; n <= 4; ++n) {
    GrpcGroup group(n, SameToken(n));
    for (int r = 0; r < n; ++r) ASSERT_TRUE(group.connected[r].ok()) << group.connected[r];
    std::vector<PeerLink*> links;
    for (auto& link : group.links) links.push_back(link.get());
    uint64_t step = 0;
    for (int64_t len : {int64_t{1}, int64_t{7}, int64_t{1000}, int64_t{(1 << 18) + 3}}) {
      ExpectRingSumMatches(links, len, ++step, kSegmentBytes);
    }
  }
}

TEST(GrpcPeerLinkTest, BytesOnTheWireAreTwoNMinusOneOverNWithSmallFraming) {
  const int n = 3;
  const int64_t len = (1 << 20) + 3;
  GrpcGroup group(n, SameToken(n));
  std::vector<std::vector<float>> data(n, std::vector<float>(len, 1.0f));
  std::vector<std::thread> threads;
  for (int r = 0; r < n; ++r) {
    threads.emplace_back([&, r] {
      strategy::RingAllreduceOptions options;
      options.segment_bytes = kSegmentBytes;
      EXPECT_TRUE(strategy::RingAllreduce(*group.links[r], data[r], options).ok());
    });
  }
  for (auto& t : threads) t.join();
  const double ideal = 2.0 * (n - 1) / n * len * sizeof(float);
  for (int r = 0; r < n; ++r) {
    const double sent = group.links[r]->bytes_sent();
    EXPECT_NEAR(sent, ideal, kSegmentBytes) << "rank " << r;
    EXPECT_LT(sent / ideal - 1, 0.01) << "framing above 1% on rank " << r;
    EXPECT_EQ(data[r][len - 1], 1.0f);
  }
}

TEST(GrpcPeerLinkTest, AWrongRunTokenIsRefused) {
  GrpcGroup group(2, {"run-a", "run-b"});
  EXPECT_EQ(group.connected[0].code(), absl::StatusCode::kPermissionDenied)
      << group.connected[0];
  EXPECT_EQ(group.connected[1].code(), absl::StatusCode::kPermissionDenied)
      << group.connected[1];
}

TEST(GrpcPeerLinkTest, AbortUnblocksARankWaitingOnADeadPeer) {
  GrpcGroup group(2, SameToken(2));
  ASSERT_TRUE(group.connected[0].ok());
  // Rank 1 goes silent (as if hung): rank 0 waits for it with a long deadline.
  absl::Status status;
  auto start = std::chrono::steady_clock::now();
  std::thread waiter([&] {
    std::vector<float> out(16);
    status = group.links[0]->Recv(1, {1, 1, 0}, out, absl::Now() + absl::Seconds(30),
                                  RecvMode::kCopy);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  group.links[0]->Abort();  // what the coordinator's abort does
  waiter.join();
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled) << status;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(GrpcPeerLinkTest, APeerThatAbortsIsUnavailableToItsNeighbour) {
  GrpcGroup group(2, SameToken(2));
  ASSERT_TRUE(group.connected[1].ok());
  absl::Status status;
  auto start = std::chrono::steady_clock::now();
  std::thread waiter([&] {
    std::vector<float> out(16);
    status = group.links[0]->Recv(1, {1, 1, 0}, out, absl::Now() + absl::Seconds(30),
                                  RecvMode::kCopy);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  group.links[1]->Abort();  // cancels rank 1's stream to rank 0
  waiter.join();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  std::vector<float> one(1);
  EXPECT_EQ(group.links[1]->Send(0, {}, one, absl::Now() + absl::Seconds(1)).code(),
            absl::StatusCode::kCancelled);
}

TEST(GrpcPeerLinkTest, AFrameAboveTheLimitIsRejected) {
  GrpcGroup group(2, SameToken(2));
  std::vector<float> big(kSegmentBytes / sizeof(float) + 1);
  EXPECT_EQ(group.links[0]->Send(1, {}, big, absl::Now() + absl::Seconds(1)).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace distsim::comm
