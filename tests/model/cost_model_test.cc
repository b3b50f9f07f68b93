// The alpha-beta cost model against hand arithmetic: phases with NIC contention, the ring's
// textbook cost (Thakur et al. 2005), the predict rows against their formulas written out here,
// and the alpha-beta fit on synthetic samples whose true alpha and beta are known.
#include "sim/model/cost_model.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <utility>
#include <vector>

namespace distsim::model {
namespace {

constexpr double kTol = 1e-12;

TEST(PhaseSecondsTest, TwoWorkersPushingToOneServerShareItsIngress) {
  const Network net{.alpha_s = 1e-3, .bytes_per_s = 1e8};
  // Workers on hosts 1 and 2, the server on host 0: its ingress carries 2e6 bytes.
  const std::vector<Transfer> push = {{1, 0, 1e6}, {2, 0, 1e6}};
  EXPECT_NEAR(PhaseSeconds(push, net), 1e-3 + 2e6 / 1e8, kTol);  // 0.021
  // The pull mirrors it on the server's egress.
  const std::vector<Transfer> pull = {{0, 1, 1e6}, {0, 2, 1e6}};
  EXPECT_NEAR(PhaseSeconds(pull, net), 0.021, kTol);
}

TEST(PhaseSecondsTest, SameHostTransfersAreFree) {
  const Network net{.alpha_s = 1e-3, .bytes_per_s = 1e8};
  const std::vector<Transfer> colocated = {{0, 0, 1e6}};
  EXPECT_EQ(PhaseSeconds(colocated, net), 0);
  // One colocated worker and one remote: only the remote one's 1e6 bytes load the server NIC.
  const std::vector<Transfer> mixed = {{0, 0, 1e6}, {1, 0, 1e6}};
  EXPECT_NEAR(PhaseSeconds(mixed, net), 1e-3 + 1e6 / 1e8, kTol);
  EXPECT_EQ(PhaseSeconds({}, net), 0);
}

TEST(PhaseSecondsTest, UnlimitedBandwidthLeavesOnlyAlpha) {
  const Network net{.alpha_s = 1e-3, .bytes_per_s = 0};
  const std::vector<Transfer> push = {{1, 0, 1e9}, {2, 0, 1e9}};
  EXPECT_EQ(PhaseSeconds(push, net), 1e-3);
}

TEST(RingAllreduceSecondsTest, MatchesThakurWithOneHostPerRank) {
  const double alpha = 5e-5, bandwidth = 1.25e9, s = 4e6;
  const Network net{.alpha_s = alpha, .bytes_per_s = bandwidth};
  for (int n : {2, 4, 8}) {
    std::vector<int> rank_host;
    for (int r = 0; r < n; ++r) rank_host.push_back(r);
    const double expected = 2.0 * (n - 1) * alpha + 2.0 * (n - 1) / n * s / bandwidth;
    EXPECT_NEAR(RingAllreduceSeconds(rank_host, s, net), expected, kTol) << "n=" << n;
  }
  EXPECT_EQ(RingAllreduceSeconds({0}, s, net), 0);
  EXPECT_EQ(RingAllreduceSeconds({3, 3, 3}, s, net), 0);  // one host: nothing crosses a NIC
}

TEST(RingAllreduceSecondsTest, TwoRanksPerHostCrossOnlyTheHostBoundaries) {
  const Network net{.alpha_s = 1e-4, .bytes_per_s = 1e9};
  // Ranks 0,1 on host 0 and 2,3 on host 1: edges 1->2 and 3->0 cross, one chunk S/4 per host
  // direction, 6 phases.
  EXPECT_NEAR(RingAllreduceSeconds({0, 0, 1, 1}, 4e6, net), 6 * (1e-4 + 1e6 / 1e9), kTol);
}

TEST(PsPhaseSecondsTest, BusiestServerCarriesNTimesItsShard) {
  const Network net{.alpha_s = 1e-4, .bytes_per_s = 1e9};
  // k = 2 dedicated servers (hosts 0, 1) of S/2 = 4e6 each, n = 4 workers (hosts 2..5): each
  // server NIC carries 4 x 4e6 = 16e6 bytes, each worker's 8e6. Each phase is an RPC: alpha for
  // the data and alpha for the request (pull) or the ack (push).
  const std::vector<int> workers = {2, 3, 4, 5};
  const std::vector<int> servers = {0, 1};
  const std::vector<double> shards = {4e6, 4e6};
  EXPECT_NEAR(PsPhaseSeconds(workers, servers, shards, true, net), 2e-4 + 16e6 / 1e9, kTol);
  EXPECT_NEAR(PsPhaseSeconds(workers, servers, shards, false, net), 2e-4 + 16e6 / 1e9, kTol);
  // One worker alone: its own NIC (8e6) is the busiest.
  EXPECT_NEAR(PsPhaseSeconds({2}, servers, shards, true, net), 2e-4 + 8e6 / 1e9, kTol);
  // An empty shard sends no message.
  EXPECT_NEAR(PsPhaseSeconds({2}, servers, {8e6, 0}, true, net), 2e-4 + 8e6 / 1e9, kTol);
  // A worker on its server's host crosses no NIC: no latency either.
  EXPECT_EQ(PsPhaseSeconds({0}, {0}, {8e6}, true, net), 0);
}

// Lost packets delay their own message without holding the NIC: the phase ends when the busiest
// NIC has drained or the slowest message has arrived, whichever is later. One packet per
// message, lost with probability 1/2, a 40 ms round trip: a message alone waits 20 ms on
// average, the slower of two 0.75 x 40 = 30 ms (it is on time only if both are: 1/4).
TEST(PhaseSecondsTest, LossDelaysAMessageNotTheNicAndThePhaseWaitsForTheSlowest) {
  Network net{.alpha_s = 1e-3, .bytes_per_s = 1e8};
  net.loss = 0.5;
  net.loss_round_trip_s = 0.04;
  net.packet_bytes = 1e6;
  const std::vector<Transfer> one = {{1, 0, 1e6}};
  EXPECT_NEAR(PhaseSeconds(one, net), 1e-3 + 0.01 + 0.02, kTol);
  // Two into host 0: the NIC needs 0.02 s; each message 0.01 on the wire, the slower 0.03 late.
  const std::vector<Transfer> two = {{1, 0, 1e6}, {2, 0, 1e6}};
  EXPECT_NEAR(PhaseSeconds(two, net), 1e-3 + 0.01 + 0.03, kTol);
}

// E[max] of m binomial draws, against an enumeration by hand and a seeded simulation.
TEST(LossDelayTest, TheExpectedMaximumOfTheMessagesDelays) {
  Network net;
  net.loss = 0.5;
  net.loss_round_trip_s = 1;
  net.packet_bytes = 1;
  // Bin(2, 1/2) takes 0, 1, 2 with 1/4, 1/2, 1/4; the max of two draws is 0 with 1/16, at most
  // 1 with 9/16, so 1 with 8/16 and 2 with 7/16: E = 8/16 + 14/16 = 1.375.
  EXPECT_NEAR(ExpectedMaxLossDelay(2, 2, net), 1.375, 1e-12);
  EXPECT_NEAR(ExpectedMaxLossDelay(2, 1, net), MeanLossDelay(2, net), 1e-12);
  // 700 packets at 1% loss, 8 messages: simulated.
  net.loss = 0.01;
  std::mt19937_64 rng(7);
  std::binomial_distribution<int> lost(700, 0.01);
  double sum = 0;
  constexpr int kTrials = 40000;
  for (int t = 0; t < kTrials; ++t) {
    int worst = 0;
    for (int m = 0; m < 8; ++m) worst = std::max(worst, lost(rng));
    sum += worst;
  }
  EXPECT_NEAR(ExpectedMaxLossDelay(700, 8, net), sum / kTrials, 0.01 * sum / kTrials);
  EXPECT_GT(ExpectedMaxLossDelay(700, 8, net), 1.5 * MeanLossDelay(700, net));
  // Millions of packets neither overflow nor underflow.
  const double big = ExpectedMaxLossDelay(4e8, 64, net);
  EXPECT_GT(big, MeanLossDelay(4e8, net));
  EXPECT_LT(big, 1.1 * MeanLossDelay(4e8, net));
}

// A 1M-float model (4 MB) on a 10 Gbit/s, 50 us network, 50 ms of compute per step of 32.
PredictInput Cluster() {
  PredictInput in;
  in.compute_s = 0.05;
  in.batch = 32;
  in.model_bytes = 4e6;
  in.net = Network{.alpha_s = 50e-6, .bytes_per_s = 1.25e9};
  in.price_per_host_hour = 0.9;
  in.examples_per_epoch = 60000;
  return in;
}

// The derived columns every row shares, from its step time.
void ExpectDerived(const PredictRow& row, int n, int hosts, const PredictInput& in, double step_s) {
  const double sps = n * in.batch / step_s;
  const double epoch_s = in.examples_per_epoch / sps;
  EXPECT_NEAR(row.step_s(), step_s, kTol);
  EXPECT_EQ(row.compute_s(), in.compute_s);
  EXPECT_NEAR(row.communication_s(), step_s - in.compute_s, kTol);
  EXPECT_NEAR(row.samples_per_second(), sps, 1e-9);
  EXPECT_NEAR(row.efficiency(), in.compute_s / step_s, kTol);
  EXPECT_NEAR(row.epoch_s(), epoch_s, 1e-9);
  EXPECT_NEAR(row.cost_per_epoch_usd(), hosts * in.price_per_host_hour * epoch_s / 3600, 1e-12);
}

TEST(PredictTest, RingRow) {
  const PredictInput in = Cluster();
  const PredictRow row = Predict(PredictStrategy::kRing, 4, 0, false, in);
  // 0.05 + 6 x 50e-6 + 2 x 3/4 x 4e6 / 1.25e9 = 0.05 + 0.0003 + 0.0048 = 0.0551
  ExpectDerived(row, 4, 4, in, 0.0551);
  EXPECT_EQ(row.strategy(), "ring");
  EXPECT_EQ(row.workers(), 4u);
  EXPECT_EQ(row.bottleneck(), "compute");
}

TEST(PredictTest, PsSyncDedicatedRow) {
  const PredictInput in = Cluster();
  const PredictRow row = Predict(PredictStrategy::kPsSync, 4, 1, false, in);
  // One server NIC carries 4 x 4e6 per phase: 2 x (2 x 50e-6 + 16e6 / 1.25e9) + 0.05 = 0.0758.
  ExpectDerived(row, 4, 5, in, 0.0758);
  EXPECT_EQ(row.strategy(), "ps SYNC");
  EXPECT_EQ(row.servers(), 1u);
  EXPECT_EQ(row.bottleneck(), "compute");  // 0.0258 of communication < 0.05
}

TEST(PredictTest, PsSyncColocatedRow) {
  const PredictInput in = Cluster();
  const PredictRow row = Predict(PredictStrategy::kPsSync, 4, 1, true, in);
  // k = n = 4 on 4 hosts; a host sends its shard (1e6) to 3 others: 3e6 per direction per phase.
  ExpectDerived(row, 4, 4, in, 0.05 + 2 * (2 * 50e-6 + 3e6 / 1.25e9));
  EXPECT_EQ(row.servers(), 4u);
}

TEST(PredictTest, PsAsyncRows) {
  const PredictInput in = Cluster();
  // Dedicated, k = 1, n = 4: alone, a worker takes 0.05 + 2 x (2 x 50e-6 + 4e6 / 1.25e9) =
  // 0.0566; 4 / 0.0566 = 70.7 updates/s is below the server's cap 1.25e9 / 4e6 = 312.5/s.
  PredictRow row = Predict(PredictStrategy::kPsAsync, 4, 1, false, in);
  EXPECT_EQ(row.strategy(), "ps ASYNC");
  ExpectDerived(row, 4, 5, in, 0.0566);
  EXPECT_EQ(row.bottleneck(), "compute");
  // In step: both phases with all 4 at once, as SYNC: 2 x (2 x 50e-6 + 16e6 / 1.25e9) + 0.05.
  EXPECT_NEAR(row.step_s_in_step(), 0.0758, kTol);
  // n = 32: 32 / 0.0566 = 565 > 312.5: the server NIC caps it, step = 32 / 312.5 = 0.1024.
  row = Predict(PredictStrategy::kPsAsync, 32, 1, false, in);
  ExpectDerived(row, 32, 33, in, 0.1024);
  EXPECT_EQ(row.bottleneck(), "server NIC");
  // Two servers double the cap (625/s): 32 / 0.0566 = 565 is below it again.
  row = Predict(PredictStrategy::kPsAsync, 32, 2, false, in);
  ExpectDerived(row, 32, 34, in, 0.05 + 2 * (2 * 50e-6 + 4e6 / 1.25e9));
  // Colocated, n = 4: alone, a worker's NIC moves 3/4 S per phase.
  row = Predict(PredictStrategy::kPsAsync, 4, 1, true, in);
  ExpectDerived(row, 4, 4, in, 0.05 + 2 * (2 * 50e-6 + 3e6 / 1.25e9));
}

TEST(PredictTest, PsSyncWithOneServerBecomesServerBoundAsTheRingDoesNot) {
  const PredictInput in = Cluster();
  double last_ps = 2, last_ring = 2;
  for (int n : {1, 2, 4, 8, 16, 32}) {
    SCOPED_TRACE(testing::Message() << "n=" << n);
    const PredictRow ps = Predict(PredictStrategy::kPsSync, n, 1, false, in);
    const PredictRow ring = Predict(PredictStrategy::kRing, n, 0, false, in);
    // Server NIC: n S / B per phase grows with n; the ring's 2(n-1)/n S / B stays under 2 S / B.
    EXPECT_NEAR(ps.step_s(), 0.05 + 2 * (2 * 50e-6 + n * 4e6 / 1.25e9), kTol);
    EXPECT_LT(ring.step_s(), 0.05 + 2 * (n - 1) * 50e-6 + 2 * 4e6 / 1.25e9 + kTol);
    EXPECT_LT(ps.efficiency(), last_ps);
    EXPECT_LE(ring.efficiency(), last_ring);
    last_ps = ps.efficiency();
    last_ring = ring.efficiency();
    EXPECT_NE(ring.bottleneck(), "server NIC");
  }
  // n = 16: 2 x (2 x 50e-6 + 16 x 3.2e-3) = 0.1026 of communication against 0.05 of compute.
  EXPECT_EQ(Predict(PredictStrategy::kPsSync, 16, 1, false, in).bottleneck(), "server NIC");
  EXPECT_EQ(Predict(PredictStrategy::kRing, 16, 0, false, in).bottleneck(), "compute");
  EXPECT_EQ(Predict(PredictStrategy::kRing, 1, 0, false, in).efficiency(), 1.0);
}

TEST(PredictTest, BottleneckNamesLatencyAndWorkerNic) {
  PredictInput in = Cluster();
  // A tiny model on a slow-latency network: 14 x 1e-3 of alpha against 14 x 500 bytes / B.
  in.compute_s = 1e-3;
  in.model_bytes = 4000;
  in.net.alpha_s = 1e-3;
  EXPECT_EQ(Predict(PredictStrategy::kRing, 8, 0, false, in).bottleneck(), "latency");
  // A big model on a network without latency: every ring rank's NIC moves 2 (n-1)/n S.
  in.model_bytes = 4e8;
  in.net.alpha_s = 0;
  EXPECT_EQ(Predict(PredictStrategy::kRing, 8, 0, false, in).bottleneck(), "worker NIC");
  // PS with as many servers as workers: each server carries n S / k = S, like a worker.
  EXPECT_EQ(Predict(PredictStrategy::kPsSync, 4, 4, false, in).bottleneck(), "worker NIC");
  EXPECT_EQ(Predict(PredictStrategy::kPsSync, 4, 2, false, in).bottleneck(), "server NIC");
}

TEST(FitAlphaBetaTest, RecoversExactSamples) {
  const double alpha = 5e-5, beta = 1 / 1.25e9;
  std::vector<std::pair<double, double>> samples;
  for (double bytes : {1e3, 1e4, 1e5, 1e6, 1e7}) samples.push_back({bytes, alpha + bytes * beta});
  double error = -1;
  absl::StatusOr<Network> net = FitAlphaBeta(samples, &error);
  ASSERT_TRUE(net.ok()) << net.status();
  EXPECT_NEAR(net->alpha_s, alpha, 1e-12);
  EXPECT_NEAR(net->bytes_per_s, 1.25e9, 1.25e9 * 1e-9);
  EXPECT_NEAR(error, 0, 1e-9);
}

TEST(FitAlphaBetaTest, RecoversNoisySamplesWithinTolerance) {
  const double alpha = 5e-5, beta = 1 / 1.25e9;
  // Relative noise of up to 3%, fixed so the test is deterministic, three samples per size. The
  // largest message takes 0.85 ms, so its noise (up to 25 us) is half of alpha: alpha is the
  // loosely determined parameter (the fit gives 47.2 us and 1.224e9 B/s).
  const std::vector<double> noise = {0.02,   -0.03, 0.01,   -0.01, 0.03, -0.02, 0.0,  0.015,
                                     -0.025, 0.02,  -0.015, 0.005, 0.01, -0.02, 0.025};
  const std::vector<double> sizes = {0, 1e4, 1e5, 5e5, 1e6};
  std::vector<std::pair<double, double>> samples;
  for (size_t i = 0; i < noise.size(); ++i) {
    const double bytes = sizes[i % sizes.size()];
    samples.push_back({bytes, (alpha + bytes * beta) * (1 + noise[i])});
  }
  double error = -1;
  absl::StatusOr<Network> net = FitAlphaBeta(samples, &error);
  ASSERT_TRUE(net.ok()) << net.status();
  EXPECT_NEAR(net->alpha_s, alpha, 0.15 * alpha);
  EXPECT_NEAR(net->bytes_per_s, 1.25e9, 0.05 * 1.25e9);
  // The fit cannot explain the noise, and should not be much worse than it.
  EXPECT_GT(error, 0.005);
  EXPECT_LT(error, 0.06);
}

TEST(FitAlphaBetaTest, RefusesASingleSize) {
  const std::vector<std::pair<double, double>> one_size = {{1e6, 0.01}, {1e6, 0.011}};
  absl::StatusOr<Network> net = FitAlphaBeta(one_size, nullptr);
  EXPECT_EQ(net.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FitAlphaBeta({}, nullptr).status().code(), absl::StatusCode::kInvalidArgument);
  const std::vector<std::pair<double, double>> negative = {{1e3, 0.01}, {-1, 0.01}};
  EXPECT_EQ(FitAlphaBeta(negative, nullptr).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(FitAlphaBetaTest, ClampsNegativeAlphaAndFlatTimes) {
  // seconds = -1e-4 + bytes x 1e-8: the line's intercept is negative; through the origin the
  // least-squares slope is sum(x y) / sum(x x).
  std::vector<std::pair<double, double>> samples;
  double xy = 0, xx = 0;
  for (double bytes : {1e5, 5e5, 1e6}) {
    const double seconds = -1e-4 + bytes * 1e-8;
    samples.push_back({bytes, seconds});
    xy += bytes * seconds;
    xx += bytes * bytes;
  }
  absl::StatusOr<Network> net = FitAlphaBeta(samples, nullptr);
  ASSERT_TRUE(net.ok()) << net.status();
  EXPECT_EQ(net->alpha_s, 0);
  EXPECT_NEAR(net->bytes_per_s, xx / xy, 1e-6 * xx / xy);
  // Times that do not grow with size: infinite bandwidth, alpha = their mean.
  const std::vector<std::pair<double, double>> flat = {{1e3, 0.002}, {1e6, 0.001}};
  net = FitAlphaBeta(flat, nullptr);
  ASSERT_TRUE(net.ok()) << net.status();
  EXPECT_EQ(net->bytes_per_s, 0);
  EXPECT_NEAR(net->alpha_s, 0.0015, kTol);
}

}  // namespace
}  // namespace distsim::model
