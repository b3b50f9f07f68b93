// What is particular to TcpPeerLink (the PeerLink contract is tested over every transport in
// peer_link_transport_test.cc): sends to a dead peer, and shaping through simulated NICs. Ranks
// are threads of this process, each with its own listener, set up as a worker does.
#include "sim/comm/tcp_peer_link.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "sim/comm/nic.h"

namespace distsim::comm {
namespace {

constexpr int64_t kSegmentBytes = 256 << 10;

// n linked ranks, each listening on its own port; closed together at the end.
struct TcpGroup {
  TcpGroup(int n, const std::vector<std::string>& tokens) {
    std::vector<std::string> addresses;
    for (int r = 0; r < n; ++r) {
      links.push_back(std::make_unique<TcpPeerLink>(TcpPeerLinkOptions{
          .rank = r, .size = n, .run_token = tokens[r], .max_frame_bytes = kSegmentBytes}));
      absl::StatusOr<int> port = links[r]->Listen();
      EXPECT_TRUE(port.ok()) << port.status();
      addresses.push_back("127.0.0.1:" + std::to_string(port.value_or(0)));
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
  ~TcpGroup() {
    std::vector<std::thread> threads;
    for (auto& link : links) {
      if (link == nullptr) continue;
      threads.emplace_back([&link] { link->Close(absl::Now() + absl::Seconds(2)); });
    }
    for (auto& t : threads) t.join();
    links.clear();
  }
  std::vector<std::unique_ptr<TcpPeerLink>> links;
  std::vector<absl::Status> connected;
};

std::vector<std::string> SameToken(int n) { return std::vector<std::string>(n, "run-a"); }

// A Recv waiting on a dead peer is tested over every transport (peer_link_transport_test.cc);
// over TCP a sender to the dead peer learns of it too, from the broken connection.
TEST(TcpPeerLinkTest, SendsToAKilledPeerFailNamingIt) {
  TcpGroup group(3, SameToken(3));
  for (int r = 0; r < 3; ++r) ASSERT_TRUE(group.connected[r].ok()) << group.connected[r];
  group.links[2].reset();  // the process holding rank 2 is gone
  // Rank 1 sends to rank 2: the dead connection shows within a few sends.
  std::vector<float> segment(1024, 1.0f);
  absl::Status sent;
  for (int i = 0; i < 100 && sent.ok(); ++i) {
    sent = group.links[1]->Send(2, {1, 2, static_cast<uint32_t>(i)}, segment,
                                absl::Now() + absl::Seconds(5));
    if (sent.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(sent.code(), absl::StatusCode::kUnavailable) << sent;
  EXPECT_NE(sent.message().find("rank 2"), std::string::npos) << sent;
}

// Two linked ranks whose frames cross simulated NICs: rank r runs on host hosts[r].
struct ShapedPair {
  ShapedPair(std::shared_ptr<NicTable> table, std::vector<int> hosts, int64_t max_frame_bytes) {
    std::vector<std::string> addresses;
    for (int r = 0; r < 2; ++r) {
      TcpPeerLinkOptions options{
          .rank = r, .size = 2, .run_token = "run-a", .max_frame_bytes = max_frame_bytes};
      options.nic = std::make_shared<NicPort>(table, hosts[r], 100 + r);
      options.rank_host = hosts;
      links.push_back(std::make_unique<TcpPeerLink>(options));
      absl::StatusOr<int> port = links[r]->Listen();
      EXPECT_TRUE(port.ok()) << port.status();
      addresses.push_back("127.0.0.1:" + std::to_string(port.value_or(0)));
    }
    std::vector<std::thread> threads;
    for (int r = 0; r < 2; ++r) {
      threads.emplace_back([this, r, addresses] {
        absl::Status connected = links[r]->Connect(addresses, absl::Now() + absl::Seconds(10));
        EXPECT_TRUE(connected.ok()) << connected;
      });
    }
    for (auto& t : threads) t.join();
  }
  ~ShapedPair() {
    std::thread closer([this] { links[1]->Close(absl::Now() + absl::Seconds(2)); });
    links[0]->Close(absl::Now() + absl::Seconds(2));
    closer.join();
  }
  std::vector<std::unique_ptr<TcpPeerLink>> links;
};

TEST(TcpPeerLinkTest, ShapedFramesTakeTheSimulatedTransferAndLatency) {
  NicModel model;
  model.bytes_per_s = 12.5e6;  // 100 Mbit/s
  model.latency = absl::Milliseconds(20);
  auto table = NicTable::CreateLocal(2, model);
  constexpr int64_t kFrameBytes = 1 << 20;
  ShapedPair pair(table, {0, 1}, kFrameBytes);
  std::vector<float> data(kFrameBytes / sizeof(float), 2.0f), out(data.size());
  const absl::Time start = absl::Now();
  std::thread sender([&] {
    EXPECT_TRUE(pair.links[0]->Send(1, {3, 1, 0}, data, start + absl::Seconds(10)).ok());
  });
  absl::Status received =
      pair.links[1]->Recv(0, {3, 1, 0}, out, start + absl::Seconds(10), RecvMode::kCopy);
  const double took = absl::ToDoubleSeconds(absl::Now() - start);
  sender.join();
  ASSERT_TRUE(received.ok()) << received;
  EXPECT_EQ(out, data);
  const uint64_t wire = kTcpFrameHeaderBytes + kFrameBytes;
  const double ideal = wire / model.bytes_per_s + 0.020;  // about 0.104 s
  std::printf("shaped 1 MiB frame: received after %.3f s (ideal %.3f s)\n", took, ideal);
  EXPECT_GE(took, ideal);
  EXPECT_LT(took, 1.0);
  EXPECT_EQ(pair.links[0]->nic_bytes_sent(), wire);
  EXPECT_EQ(pair.links[1]->nic_bytes_received(), wire);
  EXPECT_EQ(pair.links[0]->bytes_sent(), wire);
  EXPECT_EQ(pair.links[1]->nic_bytes_sent(), 0u);
}

TEST(TcpPeerLinkTest, RanksOnOneSimulatedHostDoNotCrossTheNic) {
  NicModel model;
  model.bytes_per_s = 1e5;  // 1 MiB would take 10 s if it were shaped
  model.latency = absl::Seconds(1);
  ShapedPair pair(NicTable::CreateLocal(2, model), {1, 1}, 1 << 20);
  std::vector<float> data((1 << 20) / sizeof(float), 1.0f), out(data.size());
  const absl::Time start = absl::Now();
  ASSERT_TRUE(pair.links[0]->Send(1, {}, data, start + absl::Seconds(10)).ok());
  ASSERT_TRUE(pair.links[1]->Recv(0, {}, out, start + absl::Seconds(10), RecvMode::kCopy).ok());
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(900));
  EXPECT_EQ(pair.links[0]->nic_bytes_sent(), 0u);
  EXPECT_EQ(pair.links[1]->nic_bytes_received(), 0u);
  EXPECT_GT(pair.links[1]->bytes_received(), 0u);
}

TEST(TcpPeerLinkTest, AbortEndsASendWaitingOnASlowNic) {
  auto table = NicTable::CreateLocal(2, NicModel{.bytes_per_s = 1e5});
  ShapedPair pair(table, {0, 1}, 1 << 20);
  std::vector<float> data((1 << 20) / sizeof(float));  // 10 s at 100 kB/s
  absl::Status sent;
  std::thread sender(
      [&] { sent = pair.links[0]->Send(1, {}, data, absl::Now() + absl::Seconds(60)); });
  // Polled, no fixed sleep: the send is under way once host 0's egress is reserved.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (table->egress_free(0) == absl::UnixEpoch() && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_GT(table->egress_free(0), absl::UnixEpoch());
  const absl::Time start = absl::Now();
  pair.links[0]->Abort();
  sender.join();
  EXPECT_TRUE(absl::IsCancelled(sent)) << sent;
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));  // the NIC alone would take 10 s
}

TEST(TcpPeerLinkTest, AShapedLinkChecksItsHostTable) {
  auto table = NicTable::CreateLocal(2, NicModel{});
  TcpPeerLinkOptions options{.rank = 0, .size = 2, .run_token = "run-a"};
  options.nic = std::make_shared<NicPort>(table, 0, 1);
  options.rank_host = {0, 5};  // host 5 does not exist
  TcpPeerLink link(options);
  ASSERT_TRUE(link.Listen().ok());
  absl::Status status = link.Connect({"127.0.0.1:1", "127.0.0.1:2"}, absl::Now());
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_NE(status.message().find("rank_host[1]"), std::string::npos) << status;
}

}  // namespace
}  // namespace distsim::comm
