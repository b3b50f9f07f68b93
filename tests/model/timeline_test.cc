// The modelled timeline against hand computations written out step by step: lockstep PS SYNC and
// ring (a straggler), the async replay's NIC contention and its dependence on the real push order,
// SSP's bound (and a dead worker that stops holding it), and the rejection of bad input.
#include "sim/model/timeline.h"

#include <gtest/gtest.h>

#include <vector>

namespace distsim::model {
namespace {

constexpr double kTol = 1e-12;

StepRecord Step(uint64_t step, double compute_s, double pull_start_s = 0, double push_start_s = 0,
                double pause_s = 0) {
  StepRecord r;
  r.set_step(step);
  r.set_model_compute_s(compute_s);
  r.set_model_pause_s(pause_s);
  r.set_pull_start_s(pull_start_s);
  r.set_push_start_s(push_start_s);
  return r;
}

// One dedicated server (host 0) of a 1 MB shard; workers on hosts 1, 2, ...; 1e8 B/s, 1 ms.
TimelineSpec OneServer(TimelineSpec::Kind kind, int workers) {
  TimelineSpec spec;
  spec.kind = kind;
  for (int w = 0; w < workers; ++w) spec.worker_host.push_back(1 + w);
  spec.server_host = {0};
  spec.shard_bytes = {1e6};
  spec.net = Network{.alpha_s = 1e-3, .bytes_per_s = 1e8};
  return spec;
}

TEST(TimelineTest, LocalStepsBackToBack) {
  TimelineSpec spec;
  spec.worker_host = {0};
  const std::vector<std::vector<StepRecord>> steps = {{Step(1, 0.01, 0, 0, 0.005), Step(2, 0.02)}};
  absl::StatusOr<Timeline> tl = BuildTimeline(spec, steps);
  ASSERT_TRUE(tl.ok()) << tl.status();
  EXPECT_NEAR(tl->seconds, 0.035, kTol);
  EXPECT_EQ(tl->step_end_s, (std::vector<double>{0.015, 0.035}));
  EXPECT_EQ(tl->communication_s, 0);
  EXPECT_EQ(tl->order, kOrderBackToBack);
}

TEST(TimelineTest, SyncPsMatchesHandComputation) {
  const TimelineSpec spec = OneServer(TimelineSpec::kPsSync, 2);
  const std::vector<std::vector<StepRecord>> steps = {
      {Step(1, 0.010), Step(2, 0.020), Step(3, 0.010)},
      {Step(1, 0.030), Step(2, 0.030), Step(3, 0.005, 0, 0, 0.010)}};
  absl::StatusOr<Timeline> tl = BuildTimeline(spec, steps);
  ASSERT_TRUE(tl.ok()) << tl.status();
  // Each phase: a round trip of latency (request or ack) and the server NIC carrying both
  // workers' 1e6 bytes: 2 x 1e-3 + 2e6 / 1e8 = 0.022.
  // step 1: 0.022 + max(0.010, 0.030) + 0.022 = 0.074
  // step 2: 0.074 + 0.022 + max(0.020, 0.030) + 0.022 = 0.148
  // step 3: 0.148 + 0.022 + max(0.010, 0.005 + 0.010) + 0.022 = 0.207
  ASSERT_EQ(tl->step_end_s.size(), 3u);
  EXPECT_NEAR(tl->step_end_s[0], 0.074, kTol);
  EXPECT_NEAR(tl->step_end_s[1], 0.148, kTol);
  EXPECT_NEAR(tl->step_end_s[2], 0.207, kTol);
  EXPECT_NEAR(tl->seconds, 0.207, kTol);
  EXPECT_NEAR(tl->worker_end_s[0], 0.207, kTol);
  EXPECT_NEAR(tl->worker_end_s[1], 0.207, kTol);
  EXPECT_EQ(tl->worker_steps, (std::vector<uint64_t>{3, 3}));
  // compute: 0.040 + 0.075; communication: 2 workers x 3 steps x 0.044;
  // waiting (worker 0 for worker 1): 0.020 + 0.010 + 0.005.
  EXPECT_NEAR(tl->compute_s, 0.115, kTol);
  EXPECT_NEAR(tl->communication_s, 0.264, kTol);
  EXPECT_NEAR(tl->waiting_s, 0.035, kTol);
  EXPECT_NEAR(tl->compute_s + tl->communication_s + tl->waiting_s, 2 * 0.207, kTol);
  EXPECT_EQ(tl->order, kOrderLockstep);
}

TEST(TimelineTest, SyncPsWorkerThatDiedDropsOut) {
  const TimelineSpec spec = OneServer(TimelineSpec::kPsSync, 3);
  const std::vector<std::vector<StepRecord>> steps = {
      {Step(1, 0.01), Step(2, 0.01)}, {Step(1, 0.01), Step(2, 0.01)}, {Step(1, 0.01)}};
  absl::StatusOr<Timeline> tl = BuildTimeline(spec, steps);
  ASSERT_TRUE(tl.ok()) << tl.status();
  // step 1, 3 workers: phases of 2e-3 + 3e6 / 1e8 = 0.032: 0.032 + 0.01 + 0.032 = 0.074
  // step 2, 2 workers: phases of 0.022: 0.074 + 0.022 + 0.01 + 0.022 = 0.128
  EXPECT_NEAR(tl->step_end_s[0], 0.074, kTol);
  EXPECT_NEAR(tl->step_end_s[1], 0.128, kTol);
  EXPECT_NEAR(tl->worker_end_s[2], 0.074, kTol);
  EXPECT_NEAR(tl->seconds, 0.128, kTol);
}

TEST(TimelineTest, UniformSyncRunAgreesWithPredict) {
  const TimelineSpec spec = OneServer(TimelineSpec::kPsSync, 4);
  std::vector<std::vector<StepRecord>> steps(4);
  for (auto& records : steps) {
    for (uint64_t i = 1; i <= 5; ++i) records.push_back(Step(i, 0.02));
  }
  absl::StatusOr<Timeline> tl = BuildTimeline(spec, steps);
  ASSERT_TRUE(tl.ok()) << tl.status();
  PredictInput in;
  in.compute_s = 0.02;
  in.batch = 1;
  in.model_bytes = 1e6;
  in.net = spec.net;
  EXPECT_NEAR(tl->seconds, 5 * Predict(PredictStrategy::kPsSync, 4, 1, false, in).step_s(), 1e-9);
}

TEST(TimelineTest, RingWithA4xSlowerWorkerTakesAbout4xTheTime) {
  TimelineSpec spec;
  spec.kind = TimelineSpec::kRing;
  spec.worker_host = {0, 1, 2, 3};
  spec.model_bytes = 1e4;
  spec.net = Network{.alpha_s = 1e-6, .bytes_per_s = 1e9};
  auto run = [&](double slow_compute_s) {
    std::vector<std::vector<StepRecord>> steps(4);
    for (int w = 0; w < 4; ++w) {
      for (uint64_t i = 1; i <= 10; ++i)
        steps[w].push_back(Step(i, w == 2 ? slow_compute_s : 0.01));
    }
    absl::StatusOr<Timeline> tl = BuildTimeline(spec, steps);
    EXPECT_TRUE(tl.ok()) << tl.status();
    return *tl;
  };
  // Allreduce per step: 6 x (1e-6 + 2500 / 1e9) = 2.1e-5.
  const Timeline uniform = run(0.01);
  const Timeline slow = run(0.04);
  EXPECT_NEAR(uniform.seconds, 10 * (0.01 + 2.1e-5), kTol);
  EXPECT_NEAR(slow.seconds, 10 * (0.04 + 2.1e-5), kTol);
  EXPECT_NEAR(slow.seconds / uniform.seconds, 4, 0.01);
  EXPECT_NEAR(uniform.waiting_s, 0, kTol);
  EXPECT_NEAR(slow.waiting_s, 3 * 10 * 0.03, kTol);  // three fast workers wait 0.03 a step
}

// Two workers (hosts 1, 2), one server (host 0), one step each, 1e6 bytes at 1e8 B/s = 0.01 s on
// the wire, alpha 1 ms. Worker 0 computes 0.05, worker 1 0.04.
TEST(TimelineTest, AsyncReplayQueuesAtTheServerNic) {
  const TimelineSpec spec = OneServer(TimelineSpec::kPsAsync, 2);
  const std::vector<std::vector<StepRecord>> steps = {{Step(1, 0.05, 0.000, 0.100)},
                                                      {Step(1, 0.04, 0.001, 0.101)}};
  absl::StatusOr<Timeline> tl = BuildTimeline(spec, steps);
  ASSERT_TRUE(tl.ok()) << tl.status();
  // Requests reach the server 1 ms after they are sent; acks come back 1 ms after a push lands.
  // pull w0 (real 0.000): server egress [0.001, 0.011], arrives 0.012; computes to 0.062.
  // pull w1 (real 0.001): egress busy until 0.011: [0.011, 0.021], arrives 0.022; to 0.062.
  // push w0 (real 0.100): server ingress [0.062, 0.072], arrives 0.073, acked 0.074.
  // push w1 (real 0.101): ready 0.062, ingress busy until 0.072: [0.072, 0.082], acked 0.084.
  EXPECT_NEAR(tl->worker_end_s[0], 0.074, kTol);
  EXPECT_NEAR(tl->worker_end_s[1], 0.084, kTol);
  EXPECT_NEAR(tl->seconds, 0.084, kTol);
  EXPECT_NEAR(tl->compute_s, 0.09, kTol);
  EXPECT_NEAR(tl->communication_s, 0.012 + 0.022 + 0.012 + 0.022, kTol);
  EXPECT_EQ(tl->waiting_s, 0);
  EXPECT_EQ(tl->order, kOrderReplayed);
  EXPECT_TRUE(tl->step_end_s.empty());
}

// TensorFlow's start stagger: worker 1 starts 0.05 s late. The same two steps as above, but
// worker 1's pull can only be asked for at 0.05 (its request lands 0.051; the server NIC is free
// then: [0.051, 0.061], arrives 0.062), it computes to 0.102 and pushes [0.102, 0.112], acked
// 0.114. Worker 0 is unchanged (pull arrives 0.012, push [0.062, 0.072] acked 0.074).
TEST(TimelineTest, AsyncReplayStartsAStaggeredWorkerLate) {
  TimelineSpec spec = OneServer(TimelineSpec::kPsAsync, 2);
  spec.worker_start_s = {0, 0.05};
  const std::vector<std::vector<StepRecord>> steps = {{Step(1, 0.05, 0.000, 0.100)},
                                                      {Step(1, 0.04, 0.001, 0.101)}};
  absl::StatusOr<Timeline> tl = BuildTimeline(spec, steps);
  ASSERT_TRUE(tl.ok()) << tl.status();
  EXPECT_NEAR(tl->worker_end_s[0], 0.074, kTol);
  EXPECT_NEAR(tl->worker_end_s[1], 0.114, kTol);
  EXPECT_NEAR(tl->seconds, 0.114, kTol);
  EXPECT_NEAR(tl->waiting_s, 0.05, kTol);  // worker 1 before its start
  EXPECT_NEAR(tl->compute_s + tl->communication_s + tl->waiting_s, 0.074 + 0.114, kTol);
}

// In lockstep everybody waits for the last to start: the hand computation of
// SyncPsMatchesHandComputation shifted by 0.1 s, and 0.1 s more waiting for each worker.
TEST(TimelineTest, LockstepStartsWhenTheLastWorkerStarts) {
  TimelineSpec spec = OneServer(TimelineSpec::kPsSync, 2);
  spec.worker_start_s = {0, 0.1};
  const std::vector<std::vector<StepRecord>> steps = {
      {Step(1, 0.010), Step(2, 0.020), Step(3, 0.010)},
      {Step(1, 0.030), Step(2, 0.030), Step(3, 0.005, 0, 0, 0.010)}};
  absl::StatusOr<Timeline> tl = BuildTimeline(spec, steps);
  ASSERT_TRUE(tl.ok()) << tl.status();
  EXPECT_NEAR(tl->step_end_s[0], 0.174, kTol);
  EXPECT_NEAR(tl->seconds, 0.307, kTol);
  EXPECT_NEAR(tl->waiting_s, 0.035 + 2 * 0.1, kTol);
  EXPECT_NEAR(tl->compute_s + tl->communication_s + tl->waiting_s, 2 * 0.307, kTol);
  spec.worker_start_s = {0};
  EXPECT_FALSE(BuildTimeline(spec, steps).ok());
}

// A small message (a bias tensor's shard) does not queue behind a large one on the same NIC: TCP
// interleaves it. Two servers on host 0, one of 1e6 bytes, one of 4096; workers on hosts 1, 2.
// Pull w0 (real 0.000): big shard [0.001, 0.011], arrives 0.012; the small one takes
// 4.096e-5 s + 1 ms after its 1 ms request, holding nothing. Pull w1: big shard [0.011, 0.021],
// arrives 0.022 (had the small one held the NIC, [0.01104096, 0.02104096]). Both compute to
// 0.062. Pushes: w0's big one [0.062, 0.072], acked 0.074; w1's [0.072, 0.082], acked 0.084.
TEST(TimelineTest, SmallMessagesAreInterleavedNotQueued) {
  TimelineSpec spec = OneServer(TimelineSpec::kPsAsync, 2);
  spec.server_host = {0, 0};
  spec.shard_bytes = {1e6, 4096};
  const std::vector<std::vector<StepRecord>> steps = {{Step(1, 0.05, 0.000, 0.100)},
                                                      {Step(1, 0.04, 0.001, 0.101)}};
  absl::StatusOr<Timeline> tl = BuildTimeline(spec, steps);
  ASSERT_TRUE(tl.ok()) << tl.status();
  EXPECT_NEAR(tl->worker_end_s[0], 0.074, kTol);
  EXPECT_NEAR(tl->worker_end_s[1], 0.084, kTol);
}

// Small messages still share the NIC among themselves: both workers pull one 50,000-byte shard
// (0.5 ms on the wire). w0: request lands 0.001, [0.001, 0.0015], arrives 0.0025, computes to
// 0.0525. w1 (real 0.001): [0.0015, 0.002], arrives 0.003, computes to 0.043. Pushes: w0 into
// host 0 at [0.0525, 0.053], acked 0.055; w1 at [0.043, 0.0435] (earlier on the modelled clock,
// though replayed later), acked 0.0455.
TEST(TimelineTest, SmallMessagesQueueBehindEachOther) {
  TimelineSpec spec = OneServer(TimelineSpec::kPsAsync, 2);
  spec.shard_bytes = {50000};
  const std::vector<std::vector<StepRecord>> steps = {{Step(1, 0.05, 0.000, 0.100)},
                                                      {Step(1, 0.04, 0.001, 0.101)}};
  absl::StatusOr<Timeline> tl = BuildTimeline(spec, steps);
  ASSERT_TRUE(tl.ok()) << tl.status();
  EXPECT_NEAR(tl->worker_end_s[0], 0.055, kTol);
  EXPECT_NEAR(tl->worker_end_s[1], 0.0455, kTol);
}

TEST(TimelineTest, AsyncReplayFollowsTheRealPushOrder) {
  const TimelineSpec spec = OneServer(TimelineSpec::kPsAsync, 2);
  // As above, but the server really received worker 1's push first: it goes first at the NIC.
  const std::vector<std::vector<StepRecord>> steps = {{Step(1, 0.05, 0.000, 0.100)},
                                                      {Step(1, 0.04, 0.001, 0.099)}};
  absl::StatusOr<Timeline> tl = BuildTimeline(spec, steps);
  ASSERT_TRUE(tl.ok()) << tl.status();
  // push w1: [0.062, 0.072], acked 0.074; push w0: [0.072, 0.082], acked 0.084.
  EXPECT_NEAR(tl->worker_end_s[0], 0.084, kTol);
  EXPECT_NEAR(tl->worker_end_s[1], 0.074, kTol);
}

// The real run may take events in an order the modelled clock would not (it paced the workers
// differently): a transfer early on the modelled clock then takes the gap before one that was
// replayed first but is later on the modelled clock, instead of queueing behind it.
TEST(TimelineTest, AsyncReplayFillsNicGapsOnTheModelledClock) {
  const TimelineSpec spec = OneServer(TimelineSpec::kPsAsync, 2);
  // Worker 0 computes 0.5 s, worker 1 0.01 s; really, worker 0's push reached the server first.
  const std::vector<std::vector<StepRecord>> steps = {{Step(1, 0.5, 0.000, 0.010)},
                                                      {Step(1, 0.01, 0.001, 0.020)}};
  absl::StatusOr<Timeline> tl = BuildTimeline(spec, steps);
  ASSERT_TRUE(tl.ok()) << tl.status();
  // pulls (requests 1 ms): w0 egress [0.001, 0.011] -> 0.012, computes to 0.512;
  // w1 [0.011, 0.021] -> 0.022, computes to 0.032.
  // push w0 (replayed first): ingress [0.512, 0.522] -> 0.523, acked 0.524.
  // push w1: ready 0.032; the ingress is free before 0.512: [0.032, 0.042] -> acked 0.044 (a
  // single "free from" time would have queued it to 0.522 -> acked 0.534).
  EXPECT_NEAR(tl->worker_end_s[0], 0.524, kTol);
  EXPECT_NEAR(tl->worker_end_s[1], 0.044, kTol);
  ASSERT_EQ(tl->worker_step_end_s.size(), 2u);
  EXPECT_NEAR(tl->worker_step_end_s[1][0], 0.044, kTol);
  // The window ends with the first worker to finish: only worker 1's step falls inside it.
  EXPECT_NEAR(tl->window_s, 0.044, kTol);
  EXPECT_EQ(tl->window_steps, 1u);
}

// A lost worker does not close the steady-state window.
TEST(TimelineTest, WindowIgnoresALostWorker) {
  TimelineSpec spec = OneServer(TimelineSpec::kPsAsync, 2);
  spec.net.bytes_per_s = 0;  // infinite: alpha only
  spec.worker_lost = {false, true};
  const std::vector<std::vector<StepRecord>> steps = {
      {Step(1, 0.1, 0, 0.1), Step(2, 0.1, 0.2, 0.3), Step(3, 0.1, 0.4, 0.5)},
      {Step(1, 0.1, 0.01, 0.11)}};
  absl::StatusOr<Timeline> tl = BuildTimeline(spec, steps);
  ASSERT_TRUE(tl.ok()) << tl.status();
  // Worker 0: each step a pull (request and reply, 2 ms) + 0.1 + a push (and its ack, 2 ms) =
  // 0.104; ends 0.312, after 3 steps.
  EXPECT_NEAR(tl->window_s, 0.312, 1e-9);
  EXPECT_EQ(tl->window_steps, 4u);  // worker 0's 3 and the lost worker's 1
}

// Lost packets delay the message that lost them, not the NIC.
TEST(TimelineTest, AsyncReplayDelaysLossyMessagesWithoutHoldingTheNic) {
  TimelineSpec spec = OneServer(TimelineSpec::kPsAsync, 2);
  spec.net.loss = 0.01;  // 1000 packets x 1% x 0.5 ms: 5 ms per 1e6-byte message on average
  spec.net.loss_round_trip_s = 0.5e-3;
  spec.net.packet_bytes = 1000;
  const std::vector<std::vector<StepRecord>> steps = {{Step(1, 0.05, 0.000, 0.100)},
                                                      {Step(1, 0.04, 0.001, 0.101)}};
  absl::StatusOr<Timeline> tl = BuildTimeline(spec, steps);
  ASSERT_TRUE(tl.ok()) << tl.status();
  // As AsyncReplayQueuesAtTheServerNic, each message 5 ms later, the NIC intervals unchanged:
  // pull w0 [0.001, 0.011] arrives 0.017, computes to 0.067; pull w1 [0.011, 0.021] arrives
  // 0.027, computes to 0.067; push w0 [0.067, 0.077] arrives 0.083, acked 0.084; push w1 ready
  // 0.067, [0.077, 0.087] arrives 0.093, acked 0.094.
  EXPECT_NEAR(tl->worker_end_s[0], 0.084, kTol);
  EXPECT_NEAR(tl->worker_end_s[1], 0.094, kTol);
}

TEST(TimelineTest, AsyncColocatedTrafficIsFree) {
  TimelineSpec spec = OneServer(TimelineSpec::kPsAsync, 1);
  spec.worker_host = {0};  // on the server's host
  absl::StatusOr<Timeline> tl = BuildTimeline(spec, {{Step(1, 0.05), Step(2, 0.05)}});
  ASSERT_TRUE(tl.ok()) << tl.status();
  EXPECT_NEAR(tl->seconds, 0.1, kTol);
  EXPECT_EQ(tl->communication_s, 0);
}

// No network cost (alpha 0, infinite bandwidth), so only the bound shapes the timeline. Worker 0
// computes 0.01 a step, worker 1 0.03.
TimelineSpec FreeNetwork(TimelineSpec::Kind kind, uint32_t staleness) {
  TimelineSpec spec = OneServer(kind, 2);
  spec.staleness = staleness;
  spec.net = Network{};
  return spec;
}

std::vector<std::vector<StepRecord>> FastAndSlow(int fast_steps, int slow_steps) {
  std::vector<std::vector<StepRecord>> steps(2);
  for (int i = 0; i < fast_steps; ++i) {
    steps[0].push_back(Step(i + 1, 0.01, 0.03 * i, 0.03 * i + 0.01));
  }
  for (int i = 0; i < slow_steps; ++i) {
    steps[1].push_back(Step(i + 1, 0.03, 0.03 * i, 0.03 * i + 0.03));
  }
  return steps;
}

// TensorFlow's shared global step on a free network: worker 0 computes 0.01 s a step, worker 1
// 0.03 s; each recorded 2 steps, and the real run's order does not matter. In modelled order
// the pushes land at 0.01, 0.02, 0.03 (w0), 0.03 (w1), 0.04, 0.05, 0.06 (w0), 0.06 (w1): the 8th
// update is at 0.06, worker 0 having made 6 of them (its 2 records taken 3 times) and worker 1 2.
TEST(TimelineTest, SharedGlobalStepGivesTheFasterWorkerMoreSteps) {
  TimelineSpec spec = FreeNetwork(TimelineSpec::kPsAsync, 0);
  spec.global_steps = 8;
  const std::vector<std::vector<StepRecord>> steps = {
      {Step(1, 0.01, 0.5, 0.6), Step(2, 0.01, 0.7, 0.8)},  // real times: w0 went last
      {Step(1, 0.03, 0.0, 0.1), Step(2, 0.03, 0.2, 0.3)}};
  absl::StatusOr<Timeline> tl = BuildTimeline(spec, steps);
  ASSERT_TRUE(tl.ok()) << tl.status();
  EXPECT_EQ(tl->worker_steps, (std::vector<uint64_t>{6, 2}));
  EXPECT_NEAR(tl->seconds, 0.06, kTol);
  EXPECT_NEAR(tl->worker_end_s[0], 0.06, kTol);
  EXPECT_NEAR(tl->worker_step_end_s[1][0], 0.03, kTol);
  EXPECT_NEAR(tl->compute_s, 6 * 0.01 + 2 * 0.03, kTol);
  EXPECT_EQ(tl->order, kOrderShared);
  // Worker 1 starts 0.05 late (TensorFlow's stagger): its first push lands at 0.08; worker 0
  // makes the first 7 updates (0.01 ... 0.07) and the 8th at 0.08 (ties go to worker 0).
  spec.worker_start_s = {0, 0.05};
  tl = BuildTimeline(spec, steps);
  ASSERT_TRUE(tl.ok()) << tl.status();
  EXPECT_EQ(tl->worker_steps, (std::vector<uint64_t>{8, 0}));
  EXPECT_NEAR(tl->seconds, 0.08, kTol);
  // A lost worker makes only its recorded steps: worker 0 dies after 2, worker 1 carries on
  // alone to the 8th update: 0.01, 0.02 (w0), then w1 at 0.03 ... 0.18.
  spec.worker_start_s.clear();
  spec.worker_lost = {true, false};
  tl = BuildTimeline(spec, steps);
  ASSERT_TRUE(tl.ok()) << tl.status();
  EXPECT_EQ(tl->worker_steps, (std::vector<uint64_t>{2, 6}));
  EXPECT_NEAR(tl->seconds, 0.18, kTol);
}

TEST(TimelineTest, SspWithStalenessZeroWaitsForTheSlowWorker) {
  absl::StatusOr<Timeline> tl =
      BuildTimeline(FreeNetwork(TimelineSpec::kPsSsp, 0), FastAndSlow(3, 3));
  ASSERT_TRUE(tl.ok()) << tl.status();
  // Worker 1's pushes end at 0.03, 0.06, 0.09. Worker 0:
  //   step 1 (clock 0): no bound yet, ends 0.01;
  //   step 2 (clock 1): waits for worker 1's push 1 (0.03), ends 0.04;
  //   step 3 (clock 2): waits for push 2 (0.06), ends 0.07. Waiting 0.02 + 0.02.
  EXPECT_NEAR(tl->worker_end_s[0], 0.07, kTol);
  EXPECT_NEAR(tl->worker_end_s[1], 0.09, kTol);
  EXPECT_NEAR(tl->waiting_s, 0.04, kTol);
  EXPECT_EQ(tl->communication_s, 0);

  // Staleness 1: only step 3 (clock 2) waits, for push 1 (0.03): ends 0.04.
  tl = BuildTimeline(FreeNetwork(TimelineSpec::kPsSsp, 1), FastAndSlow(3, 3));
  ASSERT_TRUE(tl.ok()) << tl.status();
  EXPECT_NEAR(tl->worker_end_s[0], 0.04, kTol);
  EXPECT_NEAR(tl->waiting_s, 0.01, kTol);

  // ASYNC never waits: 3 x 0.01.
  tl = BuildTimeline(FreeNetwork(TimelineSpec::kPsAsync, 0), FastAndSlow(3, 3));
  ASSERT_TRUE(tl.ok()) << tl.status();
  EXPECT_NEAR(tl->worker_end_s[0], 0.03, kTol);
  EXPECT_EQ(tl->waiting_s, 0);
}

TEST(TimelineTest, SspWorkerThatDiedStopsHoldingOthersBack) {
  // Worker 1 dies after 2 steps; worker 0 goes on to 4.
  absl::StatusOr<Timeline> tl =
      BuildTimeline(FreeNetwork(TimelineSpec::kPsSsp, 0), FastAndSlow(4, 2));
  ASSERT_TRUE(tl.ok()) << tl.status();
  // Worker 0: 0.01; waits to 0.03, 0.04; waits to 0.06, 0.07; step 4 (clock 3) would need
  // worker 1's push 3, which never comes: no wait, 0.08.
  EXPECT_NEAR(tl->worker_end_s[0], 0.08, kTol);
  EXPECT_NEAR(tl->worker_end_s[1], 0.06, kTol);
  EXPECT_NEAR(tl->seconds, 0.08, kTol);
  EXPECT_EQ(tl->worker_steps, (std::vector<uint64_t>{4, 2}));
  EXPECT_NEAR(tl->waiting_s, 0.04, kTol);
}

TEST(TimelineTest, RejectsInconsistentInput) {
  TimelineSpec spec = OneServer(TimelineSpec::kPsSync, 2);
  // Steps out of order.
  absl::StatusOr<Timeline> tl = BuildTimeline(spec, {{Step(1, 0.01), Step(3, 0.01)}, {}});
  EXPECT_EQ(tl.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(tl.status().message().find("worker 0"), std::string::npos) << tl.status();
  // Records of 2 workers, hosts for 3.
  spec.worker_host = {1, 2, 3};
  EXPECT_EQ(BuildTimeline(spec, {{}, {}}).status().code(), absl::StatusCode::kInvalidArgument);
  // A negative host, negative shard bytes, negative compute, a PS run without servers.
  spec.worker_host = {1, -1};
  EXPECT_EQ(BuildTimeline(spec, {{}, {}}).status().code(), absl::StatusCode::kInvalidArgument);
  spec.worker_host = {1, 2};
  spec.shard_bytes = {-1};
  EXPECT_EQ(BuildTimeline(spec, {{}, {}}).status().code(), absl::StatusCode::kInvalidArgument);
  spec.shard_bytes = {1e6};
  EXPECT_EQ(BuildTimeline(spec, {{Step(1, -0.01)}, {}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  spec.server_host.clear();
  spec.shard_bytes.clear();
  EXPECT_EQ(BuildTimeline(spec, {{}, {}}).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace distsim::model
