// The PeerLink contract over each of its transports (a GoogleTest typed test): in-process, plain
// TCP and gRPC. Ranks are threads of this process; the network links use real loopback sockets,
// set up as a worker sets them up. Behaviour specific to one transport is tested beside it
// (peer_link_test.cc, tcp_peer_link_test.cc).
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sim/comm/grpc_peer_link.h"
#include "sim/comm/grpc_ring_wire.h"
#include "sim/comm/grpc_util.h"
#include "sim/comm/inproc_peer_link.h"
#include "sim/comm/peer_link.h"
#include "sim/comm/tcp_peer_link.h"
#include "sim/strategy/ring_allreduce.h"
#include "tests/comm/ring_sum_check.h"

namespace distsim::comm {
namespace {

constexpr int64_t kSegmentBytes = 256 << 10;

// Each group below: n linked ranks (the network ones each with its own listener or server, every
// rank connected as a worker does it), torn down in the launcher's order. `tokens[r]` is rank
// r's run token. Kill(r) makes rank r vanish as a dead process would, as far as its peers see.

struct InProcessGroup {
  static uint64_t FrameOverhead() { return kInProcessFrameOverhead; }

  InProcessGroup(int n, const std::vector<std::string>& /*tokens*/)
      : links(MakeInProcessLinks(n)), connected(n) {}
  PeerLink& link(int r) { return *links[r]; }
  void Kill(int r) { links[r].reset(); }

  std::vector<std::unique_ptr<PeerLink>> links;
  std::vector<absl::Status> connected;
};

struct TcpGroup {
  static uint64_t FrameOverhead() { return kTcpFrameHeaderBytes; }

  TcpGroup(int n, const std::vector<std::string>& tokens) {
    std::vector<std::string> addresses;
    for (int r = 0; r < n; ++r) {
      links.push_back(std::make_unique<TcpPeerLink>(TcpPeerLinkOptions{
          .rank = r, .size = n, .run_token = tokens[r], .max_frame_bytes = kSegmentBytes}));
      absl::StatusOr<int> port = links[r]->Listen();
      EXPECT_TRUE(port.ok()) << port.status();
      addresses.push_back("127.0.0.1:" + std::to_string(port.value_or(0)));
    }
    connected = ConnectAll(links, addresses);
  }
  ~TcpGroup() {
    std::vector<std::thread> threads;
    for (auto& link : links) {
      if (link == nullptr) continue;
      threads.emplace_back([&link] { link->Close(absl::Now() + absl::Seconds(2)); });
    }
    for (auto& t : threads) t.join();
  }
  PeerLink& link(int r) { return *links[r]; }
  void Kill(int r) { links[r].reset(); }  // its sockets close with it

  template <typename Link>
  static std::vector<absl::Status> ConnectAll(std::vector<std::unique_ptr<Link>>& links,
                                              const std::vector<std::string>& addresses) {
    std::vector<absl::Status> connected(links.size());
    std::vector<std::thread> threads;
    for (size_t r = 0; r < links.size(); ++r) {
      threads.emplace_back(
          [&, r] { connected[r] = links[r]->Connect(addresses, absl::Now() + absl::Seconds(10)); });
    }
    for (auto& t : threads) t.join();
    return connected;
  }

  std::vector<std::unique_ptr<TcpPeerLink>> links;
  std::vector<absl::Status> connected;
};

struct GrpcGroup {
  // A small frame's header: RingFrame's fixed fields, field 4's tag and a one-byte length, and
  // gRPC's message prefix.
  static uint64_t FrameOverhead() { return kRingFixedHeaderBytes + 1 + 1 + kGrpcPrefixBytes; }

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
    connected = TcpGroup::ConnectAll(links, addresses);
  }
  ~GrpcGroup() {
    for (auto& link : links) link->Close(absl::Now() + absl::Seconds(2));
    for (auto& server : servers) server->Shutdown(DeadlineIn(1));
    links.clear();
  }
  PeerLink& link(int r) { return *links[r]; }
  // A dead process's streams are cancelled; its service must outlive the server, so the link
  // stays (aborted) until the group goes.
  void Kill(int r) { links[r]->Abort(); }

  std::vector<std::unique_ptr<GrpcPeerLink>> links;
  std::vector<std::unique_ptr<grpc::Server>> servers;
  std::vector<absl::Status> connected;
};

template <typename Group>
class PeerLinkTransportTest : public testing::Test {
 protected:
  static std::vector<std::string> SameToken(int n) { return std::vector<std::string>(n, "run-a"); }
};

using Transports = testing::Types<InProcessGroup, TcpGroup, GrpcGroup>;
TYPED_TEST_SUITE(PeerLinkTransportTest, Transports);

// What only links between processes do: cap a frame's size, carry and check a run token.
template <typename Group>
class NetworkPeerLinkTest : public PeerLinkTransportTest<Group> {};

using NetworkTransports = testing::Types<TcpGroup, GrpcGroup>;
TYPED_TEST_SUITE(NetworkPeerLinkTest, NetworkTransports);

absl::Time In(double seconds) { return absl::Now() + absl::Seconds(seconds); }

// Waiting tests give their Recv a 60 s deadline: an abort or a dead peer that works ends it long
// before that, however loaded the machine.
constexpr auto kWellBeforeTheDeadline = std::chrono::seconds(20);

// Waits (polling, no fixed sleep) until a Recv is waiting on `link`. False after 30 s.
bool WaitUntilReceiving(const PeerLink& link) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < give_up) {
    if (link.blocked_receivers() > 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

// Starts link.Recv(from, {1, 1, 0}) of 16 floats with a 60 s deadline on a thread of its own.
std::thread RecvInBackground(PeerLink& link, int from, absl::Status* status) {
  return std::thread([&link, from, status] {
    std::vector<float> out(16);
    *status = link.Recv(from, {1, 1, 0}, out, In(60), RecvMode::kCopy);
  });
}

TYPED_TEST(PeerLinkTransportTest, RingAllreduceMatchesTheSum) {
  for (int n = 2; n <= 4; ++n) {
    TypeParam group(n, this->SameToken(n));
    for (int r = 0; r < n; ++r) ASSERT_TRUE(group.connected[r].ok()) << group.connected[r];
    std::vector<PeerLink*> links;
    for (int r = 0; r < n; ++r) links.push_back(&group.link(r));
    uint64_t step = 0;
    for (int64_t len : {int64_t{1}, int64_t{7}, int64_t{1000}, int64_t{(1 << 18) + 3}}) {
      ExpectRingSumMatches(links, len, ++step, kSegmentBytes);
    }
  }
}

TYPED_TEST(PeerLinkTransportTest, BytesOnTheWireAreTwoNMinusOneOverNWithSmallFraming) {
  for (int n : {2, 3, 4}) {
    SCOPED_TRACE(testing::Message() << "n=" << n);
    const int64_t len = (1 << 20) + 3;
    TypeParam group(n, this->SameToken(n));
    std::vector<std::vector<float>> data(n, std::vector<float>(len, 1.0f));
    std::vector<std::thread> threads;
    for (int r = 0; r < n; ++r) {
      threads.emplace_back([&, r] {
        strategy::RingAllreduceOptions options;
        options.segment_bytes = kSegmentBytes;
        EXPECT_TRUE(strategy::RingAllreduce(group.link(r), data[r], options).ok());
      });
    }
    for (auto& t : threads) t.join();
    const double ideal = 2.0 * (n - 1) / n * len * sizeof(float);
    for (int r = 0; r < n; ++r) {
      const double sent = group.link(r).bytes_sent();
      const double received = group.link(r).bytes_received();
      EXPECT_NEAR(sent, ideal, kSegmentBytes) << "rank " << r;
      EXPECT_NEAR(received, ideal, kSegmentBytes) << "rank " << r;
      EXPECT_GE(sent, ideal - 2 * (n - 1) * sizeof(float)) << "rank " << r;
      EXPECT_LT(sent / ideal - 1, 0.01) << "framing above 1% on rank " << r;
      EXPECT_EQ(data[r][len - 1], 1.0f);
    }
  }
}

TYPED_TEST(PeerLinkTransportTest, FramesMatchByTagWhateverTheOrder) {
  TypeParam group(2, this->SameToken(2));
  ASSERT_TRUE(group.connected[0].ok()) << group.connected[0];
  std::vector<float> a = {1, 2, 3}, b = {4, 5};
  ASSERT_TRUE(group.link(0).Send(1, {1, 1, 0}, a, In(5)).ok());
  ASSERT_TRUE(group.link(0).Send(1, {1, 1, 1}, b, In(5)).ok());
  std::vector<float> out_b(2), out_a = {10, 10, 10};
  ASSERT_TRUE(group.link(1).Recv(0, {1, 1, 1}, out_b, In(5), RecvMode::kCopy).ok());
  ASSERT_TRUE(group.link(1).Recv(0, {1, 1, 0}, out_a, In(5), RecvMode::kSum).ok());
  EXPECT_EQ(out_b, (std::vector<float>{4, 5}));
  EXPECT_EQ(out_a, (std::vector<float>{11, 12, 13}));
  const uint64_t expected = 2 * TypeParam::FrameOverhead() + 5 * sizeof(float);
  EXPECT_EQ(group.link(0).bytes_sent(), expected);
  EXPECT_EQ(group.link(1).bytes_received(), expected);
}

TYPED_TEST(PeerLinkTransportTest, ErrorsNameTheirCause) {
  TypeParam group(2, this->SameToken(2));
  ASSERT_TRUE(group.connected[0].ok()) << group.connected[0];
  std::vector<float> out(2), one(1);
  EXPECT_EQ(group.link(1).Recv(0, {}, out, In(0.05), RecvMode::kCopy).code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(group.link(0).Send(0, {}, one, In(1)).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(group.link(0).Send(2, {}, one, In(1)).code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(group.link(0).Send(1, {}, one, In(1)).ok());
  EXPECT_EQ(group.link(1).Recv(0, {}, out, In(5), RecvMode::kCopy).code(),
            absl::StatusCode::kInternal);  // 1 float sent, 2 expected
}

TYPED_TEST(NetworkPeerLinkTest, AFrameAboveTheLimitIsRejected) {
  TypeParam group(2, this->SameToken(2));
  std::vector<float> big(kSegmentBytes / sizeof(float) + 1);
  EXPECT_EQ(group.link(0).Send(1, {}, big, In(1)).code(), absl::StatusCode::kInvalidArgument);
}

TYPED_TEST(NetworkPeerLinkTest, AWrongRunTokenIsRefusedNamingThePeer) {
  TypeParam group(2, {"run-a", "run-b"});
  for (int r = 0; r < 2; ++r) {
    EXPECT_EQ(group.connected[r].code(), absl::StatusCode::kPermissionDenied) << group.connected[r];
    EXPECT_NE(group.connected[r].message().find("rank " + std::to_string(1 - r)), std::string::npos)
        << group.connected[r];
  }
  // Nothing was delivered: a Send on the refused link keeps failing.
  std::vector<float> one(1);
  EXPECT_EQ(group.link(0).Send(1, {}, one, In(1)).code(), absl::StatusCode::kPermissionDenied);
}

TYPED_TEST(PeerLinkTransportTest, AbortUnblocksAWaitingReceive) {
  TypeParam group(2, this->SameToken(2));
  ASSERT_TRUE(group.connected[0].ok()) << group.connected[0];
  // Rank 1 goes silent (as if hung): rank 0 waits for it with a long deadline.
  absl::Status status;
  std::thread waiter = RecvInBackground(group.link(0), 1, &status);
  EXPECT_TRUE(WaitUntilReceiving(group.link(0)));
  const auto start = std::chrono::steady_clock::now();
  group.link(0).Abort();  // what the coordinator's abort does
  waiter.join();
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled) << status;
  EXPECT_LT(std::chrono::steady_clock::now() - start, kWellBeforeTheDeadline);
  EXPECT_EQ(group.link(0).blocked_receivers(), 0);
  std::vector<float> one(1);
  EXPECT_EQ(group.link(0).Send(1, {}, one, In(1)).code(), absl::StatusCode::kCancelled);
}

TYPED_TEST(PeerLinkTransportTest, APeerThatDiesIsUnavailableNamingIt) {
  TypeParam group(3, this->SameToken(3));
  for (int r = 0; r < 3; ++r) ASSERT_TRUE(group.connected[r].ok()) << group.connected[r];
  // Rank 2 sends to rank 0 (its right neighbour); rank 0 waits on it when rank 2 dies.
  absl::Status status;
  std::thread waiter = RecvInBackground(group.link(0), 2, &status);
  EXPECT_TRUE(WaitUntilReceiving(group.link(0)));
  const auto start = std::chrono::steady_clock::now();
  group.Kill(2);
  waiter.join();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_NE(status.message().find("rank 2"), std::string::npos) << status;
  EXPECT_LT(std::chrono::steady_clock::now() - start, kWellBeforeTheDeadline);
}

}  // namespace
}  // namespace distsim::comm
