// Simulated NICs: the bucket arithmetic against hand-computed times, wall-clock shaping of real
// sends (one sender, two senders sharing an ingress, the same across a fork()ed process), same-host
// traffic, latency and jitter bounds, reproducible draws, and the loss rate.
//
// Timed assertions have real lower bounds (sleeping can only make things slower) and generous
// upper bounds (the machine is shared).
#include "sim/comm/nic.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"

namespace distsim::comm {
namespace {

constexpr double kBytesPerS = 12.5e6;  // 100 Mbit/s

NicModel Rate(double bytes_per_s) {
  NicModel model;
  model.bytes_per_s = bytes_per_s;
  return model;
}

// Seconds since `start`.
double Since(absl::Time start) { return absl::ToDoubleSeconds(absl::Now() - start); }

TEST(NicTableTest, ReserveFollowsTheBucketFormulas) {
  NicModel model;
  model.bytes_per_s = 1e6;
  model.latency = absl::Milliseconds(10);
  model.jitter = absl::Milliseconds(4);
  model.packet_bytes = 1500;
  auto table = NicTable::CreateLocal(3, model);
  const absl::Time t0 = absl::FromUnixSeconds(1'700'000'000);
  // 1000 bytes plus one resent packet: 2500 bytes, 2.5 ms; delivered adds latency, half the
  // jitter and one round trip.
  TransferTimes a = table->Reserve(0, 1, 1000, t0, 0.5, 1);
  EXPECT_TRUE(a.crossed_nic);
  EXPECT_EQ(a.sent, t0 + absl::Microseconds(2500));
  EXPECT_EQ(a.delivered, a.sent + absl::Milliseconds(10 + 2 + 20));
  // Host 0's egress is busy until then: the next transfer from it queues behind.
  TransferTimes b = table->Reserve(0, 2, 500, t0, 0.0, 0);
  EXPECT_EQ(b.sent, a.sent + absl::Microseconds(500));
  EXPECT_EQ(b.delivered, b.sent + absl::Milliseconds(10));
  // So does one into host 1's ingress from another host.
  TransferTimes c = table->Reserve(2, 1, 1000, t0, 0.0, 0);
  EXPECT_EQ(c.sent, a.sent + absl::Milliseconds(1));
  // Host 1's egress and host 0's ingress were never used: no wait.
  TransferTimes d = table->Reserve(1, 0, 1000, t0, 0.0, 0);
  EXPECT_EQ(d.sent, t0 + absl::Milliseconds(1));
  // A start later than every bucket begins at `now`.
  const absl::Time later = t0 + absl::Seconds(1);
  EXPECT_EQ(table->Reserve(0, 1, 1000, later, 0.0, 0).sent, later + absl::Milliseconds(1));
  EXPECT_EQ(table->egress_free(0), later + absl::Milliseconds(1));
  EXPECT_EQ(table->ingress_free(1), later + absl::Milliseconds(1));
}

TEST(NicTableTest, SameHostReservesNothing) {
  auto table = NicTable::CreateLocal(2, Rate(kBytesPerS));
  const absl::Time now = absl::Now();
  TransferTimes t = table->Reserve(1, 1, 10'000'000, now, 0.5, 3);
  EXPECT_FALSE(t.crossed_nic);
  EXPECT_EQ(t.sent, now);
  EXPECT_EQ(t.delivered, now);
  EXPECT_EQ(table->egress_free(1), absl::UnixEpoch());
  EXPECT_EQ(table->ingress_free(1), absl::UnixEpoch());

  NicPort port(table, 0, 7);
  const absl::Time start = absl::Now();
  t = port.Send(0, 10'000'000);
  EXPECT_LT(Since(start), 0.05);  // no 0.8 s wait
  EXPECT_FALSE(t.crossed_nic);
  EXPECT_EQ(port.nic_bytes_sent(), 0u);
  EXPECT_EQ(port.nic_bytes_received(), 0u);
}

TEST(NicPortTest, TenMegabytesAtOneHundredMegabitsTakeEightTenthsOfASecond) {
  constexpr uint64_t kBytes = 10'000'000;
  const double ideal = kBytes / kBytesPerS;  // 0.8 s, empty bucket: no burst
  NicPort port(NicTable::CreateLocal(2, Rate(kBytesPerS)), 0, 1);
  const absl::Time start = absl::Now();
  TransferTimes t = port.Send(1, kBytes);
  const double took = Since(start);
  std::printf("10 MB at 100 Mbit/s: %.3f s (ideal %.3f s)\n", took, ideal);
  EXPECT_TRUE(t.crossed_nic);
  EXPECT_GE(took, 0.95 * ideal);
  EXPECT_LE(took, 1.3 * ideal);
  EXPECT_GE(absl::ToDoubleSeconds(t.sent - start), ideal - 1e-6);
  EXPECT_EQ(t.delivered, t.sent);  // no latency configured
  EXPECT_EQ(port.nic_bytes_sent(), kBytes);
  EXPECT_EQ(port.nic_bytes_resent(), 0u);

  NicPort unshaped(NicTable::CreateLocal(2, Rate(0)), 0, 1);
  const absl::Time start2 = absl::Now();
  t = unshaped.Send(1, kBytes);
  EXPECT_LT(Since(start2), 0.1 * ideal);
  EXPECT_TRUE(t.crossed_nic);
  EXPECT_EQ(unshaped.nic_bytes_sent(), kBytes);
}

TEST(NicPortTest, TwoSendersShareTheReceiversIngress) {
  constexpr uint64_t kBytes = 5'000'000;
  const double ideal = 2 * kBytes / kBytesPerS;  // each gets half of host 0's ingress: 0.8 s
  auto table = NicTable::CreateLocal(3, Rate(kBytesPerS));
  NicPort a(table, 1, 11), b(table, 2, 12);
  const absl::Time start = absl::Now();
  double took_a = 0, took_b = 0;
  std::thread ta([&] {
    a.Send(0, kBytes);
    took_a = Since(start);
  });
  std::thread tb([&] {
    b.Send(0, kBytes);
    took_b = Since(start);
  });
  ta.join();
  tb.join();
  std::printf("two 5 MB senders into one 100 Mbit/s ingress: %.3f s and %.3f s (ideal %.3f)\n",
              took_a, took_b, ideal);
  for (double took : {took_a, took_b}) {
    EXPECT_GE(took, 0.85 * ideal);
    EXPECT_LE(took, 1.3 * ideal);
  }
  // The receiver's ingress carried both: busy for at least 10 MB worth.
  EXPECT_GE(absl::ToDoubleSeconds(table->ingress_free(0) - start), ideal - 1e-6);
}

TEST(NicPortTest, ProcessesShareTheBucketsThroughTheFile) {
  constexpr uint64_t kBytes = 5'000'000;
  const double ideal = 2 * kBytes / kBytesPerS;
  const std::string path = testing::TempDir() + "/nic_test_" + std::to_string(getpid()) + ".nic";
  auto created = NicTable::CreateShared(path, 3, Rate(kBytesPerS));
  ASSERT_TRUE(created.ok()) << created.status();
  int go[2], report[2];
  ASSERT_EQ(pipe(go), 0);
  ASSERT_EQ(pipe(report), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child opens the table by name, as another process of the run would, and sends from
    // host 1 once the parent says go; it reports its duration.
    auto opened = NicTable::OpenShared(path);
    if (!opened.ok()) _exit(2);
    NicPort port(*opened, 1, 21);
    char byte;
    if (read(go[0], &byte, 1) != 1) _exit(3);
    const absl::Time start = absl::Now();
    port.Send(0, kBytes);
    const double took = Since(start);
    if (write(report[1], &took, sizeof(took)) != sizeof(took)) _exit(4);
    _exit(0);
  }
  NicPort port(*created, 2, 22);
  const absl::Time start = absl::Now();
  ASSERT_EQ(write(go[1], "g", 1), 1);
  port.Send(0, kBytes);
  const double took_parent = Since(start);
  double took_child = -1;
  const bool reported = read(report[0], &took_child, sizeof(took_child)) == sizeof(took_child);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  for (int fd : {go[0], go[1], report[0], report[1]}) close(fd);
  std::remove(path.c_str());
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  ASSERT_TRUE(reported);
  std::printf(
      "two processes, 5 MB each into one ingress: parent %.3f s, child %.3f s (ideal %.3f)\n",
      took_parent, took_child, ideal);
  for (double took : {took_parent, took_child}) {
    EXPECT_GE(took, 0.85 * ideal);
    EXPECT_LE(took, 1.3 * ideal);
  }
}

TEST(NicTableTest, SharedTablesCarryTheModelAndRejectBadFiles) {
  const std::string dir = testing::TempDir();
  const std::string path = dir + "/nic_test_model_" + std::to_string(getpid()) + ".nic";
  NicModel model;
  model.bytes_per_s = 3e6;
  model.latency = absl::Microseconds(250);
  model.jitter = absl::Microseconds(40);
  model.loss = 0.01;
  model.packet_bytes = 9000;
  auto created = NicTable::CreateShared(path, 5, model);
  ASSERT_TRUE(created.ok()) << created.status();
  auto opened = NicTable::OpenShared(path);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ((*opened)->hosts(), 5);
  EXPECT_EQ((*opened)->model().bytes_per_s, 3e6);
  EXPECT_EQ((*opened)->model().latency, absl::Microseconds(250));
  EXPECT_EQ((*opened)->model().jitter, absl::Microseconds(40));
  EXPECT_EQ((*opened)->model().loss, 0.01);
  EXPECT_EQ((*opened)->model().packet_bytes, 9000);
  // One mapping's reservation is the other's state.
  const absl::Time now = absl::Now();
  TransferTimes t = (*created)->Reserve(3, 4, 3000, now, 0, 0);
  EXPECT_EQ((*opened)->egress_free(3), t.sent);
  EXPECT_EQ((*opened)->ingress_free(4), t.sent);
  std::remove(path.c_str());

  auto missing = NicTable::OpenShared(path);
  EXPECT_TRUE(absl::IsNotFound(missing.status())) << missing.status();
  EXPECT_NE(missing.status().message().find(path), std::string::npos) << missing.status();

  const std::string junk = dir + "/nic_test_junk_" + std::to_string(getpid()) + ".nic";
  {
    std::ofstream out(junk);
    out << std::string(4096, 'x');
  }
  auto bad = NicTable::OpenShared(junk);
  EXPECT_TRUE(absl::IsDataLoss(bad.status())) << bad.status();
  EXPECT_NE(bad.status().message().find(junk), std::string::npos) << bad.status();
  std::remove(junk.c_str());

  NicModel wrong;
  wrong.loss = 1.5;
  auto refused = NicTable::CreateShared(path, 2, wrong);
  EXPECT_TRUE(absl::IsInvalidArgument(refused.status())) << refused.status();
  EXPECT_NE(refused.status().message().find("loss"), std::string::npos) << refused.status();
}

TEST(NicPortTest, DeliveryAddsLatencyAndJitterWithinBounds) {
  NicModel model;  // unlimited rate: nothing sleeps
  model.latency = absl::Milliseconds(5);
  model.jitter = absl::Milliseconds(10);
  NicPort port(NicTable::CreateLocal(2, model), 0, 3);
  absl::Duration lo = absl::InfiniteDuration(), hi = -absl::InfiniteDuration();
  for (int i = 0; i < 200; ++i) {
    TransferTimes t = port.Send(1, 1000);
    const absl::Duration flight = t.delivered - t.sent;
    ASSERT_GE(flight, model.latency);
    ASSERT_LT(flight, model.latency + model.jitter);
    lo = std::min(lo, flight);
    hi = std::max(hi, flight);
  }
  // 200 uniform draws cover most of the jitter range.
  EXPECT_LT(lo, model.latency + absl::Milliseconds(1));
  EXPECT_GT(hi, model.latency + absl::Milliseconds(9));
}

// The in-flight times (delivered - sent) of `n` sends through a fresh port seeded `seed`.
std::vector<absl::Duration> Flights(uint64_t seed, int n) {
  NicModel model;
  model.latency = absl::Milliseconds(1);
  model.jitter = absl::Milliseconds(3);
  model.loss = 0.02;
  NicPort port(NicTable::CreateLocal(2, model), 1, seed);
  std::vector<absl::Duration> flights;
  for (int i = 0; i < n; ++i) {
    TransferTimes t = port.Send(0, 100'000);
    flights.push_back(t.delivered - t.sent);
  }
  return flights;
}

TEST(NicPortTest, SeededDrawsAreReproducible) {
  EXPECT_EQ(Flights(42, 100), Flights(42, 100));
  EXPECT_NE(Flights(42, 100), Flights(43, 100));
}

TEST(NicPortTest, LossResendsAboutThatShareOfThePackets) {
  NicModel model;
  model.latency = absl::Milliseconds(1);
  model.loss = 0.1;
  model.packet_bytes = 1500;
  NicPort port(NicTable::CreateLocal(2, model), 0, 99);
  constexpr int kMessages = 100;
  constexpr uint64_t kPacketsPerMessage = 1000;
  uint64_t lost_from_delay = 0;
  for (int i = 0; i < kMessages; ++i) {
    TransferTimes t = port.Send(1, kPacketsPerMessage * 1500 - 700);  // a partial last packet
    // delivered - sent = latency + lost * 2 * latency (no jitter configured).
    const double rtts = (absl::ToDoubleMilliseconds(t.delivered - t.sent) - 1.0) / 2.0;
    ASSERT_NEAR(rtts, std::round(rtts), 1e-6);
    lost_from_delay += static_cast<uint64_t>(std::llround(rtts));
  }
  // The resent bytes and the retransmission delays tell the same story.
  EXPECT_EQ(port.nic_bytes_resent(), lost_from_delay * 1500);
  const double packets = kMessages * kPacketsPerMessage;
  const double rate = lost_from_delay / packets;
  const double sigma = std::sqrt(0.1 * 0.9 / packets);  // about 0.001
  std::printf("lost %.4f of %.0f packets (expected 0.1 +- %.4f)\n", rate, packets, sigma);
  EXPECT_NEAR(rate, 0.1, 5 * sigma);
}

}  // namespace
}  // namespace distsim::comm
