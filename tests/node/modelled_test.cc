// What each recorded step costs on the simulated instance, and the network the cost model sees.
#include "sim/node/modelled.h"

#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "sim/config/config.h"

namespace distsim::node {
namespace {

RunConfig Config(const std::string& text) {
  RunConfig config;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &config));
  return config::WithDefaults(config);
}

TEST(NetworkOf, AlphaIsLatencyPlusMeanJitterBetaCountsLoss) {
  model::Network plain = NetworkOf(Config("cluster { network { bandwidth_gbps: 8 latency_us: 40 } }"));
  EXPECT_NEAR(plain.alpha_s, 40e-6, 1e-15);
  EXPECT_NEAR(plain.bytes_per_s, 1e9, 1e-3);
  // 1% of 1500-byte packets resent (1.01 bytes on the wire per byte), each delaying its message
  // by a round trip (2 x 40 us).
  model::Network lossy = NetworkOf(
      Config("cluster { network { bandwidth_gbps: 8 latency_us: 40 jitter_us: 20 loss: 0.01 } }"));
  EXPECT_NEAR(lossy.alpha_s, 50e-6, 1e-15);
  EXPECT_NEAR(1 / lossy.bytes_per_s, 1.01e-9, 1e-18);
  EXPECT_EQ(lossy.loss, 0.01);
  EXPECT_NEAR(lossy.loss_round_trip_s, 80e-6, 1e-18);
  EXPECT_EQ(plain.loss, 0);
}

TEST(ModelComputeSeconds, CpuTimeScaledToTheInstanceFlopsFromTheModel) {
  StepRecord r;
  r.set_compute_cpu_s(0.010);
  ModelFacts facts;
  facts.train_flops_per_example = 1e6;
  facts.host_gemm_gflops = 100;
  // No instance: this machine's CPU time as it is; a slowdown multiplies.
  RunConfig none = Config("train { batch_size: 50 }");
  EXPECT_DOUBLE_EQ(ModelComputeSeconds(none, facts, 1, r), 0.010);
  EXPECT_DOUBLE_EQ(ModelComputeSeconds(none, facts, 4, r), 0.040);
  // An instance twice as fast as this machine's one thread halves it.
  RunConfig fast = Config("train { batch_size: 50 } cluster { gemm_gflops: 200 }");
  EXPECT_DOUBLE_EQ(ModelComputeSeconds(fast, facts, 1, r), 0.005);
  // FLOPS: 50 examples x 1e6 FLOPs / 200 GFLOP/s = 0.25 ms, whatever was measured.
  RunConfig flops = Config("train { batch_size: 50 } cluster { clock: FLOPS gemm_gflops: 200 }");
  EXPECT_DOUBLE_EQ(ModelComputeSeconds(flops, facts, 1, r), 50 * 1e6 / 200e9);
  EXPECT_DOUBLE_EQ(ModelComputeSeconds(flops, facts, 3, r), 3 * 50 * 1e6 / 200e9);
  EXPECT_FALSE(NeedsHostSpeed(none));
  EXPECT_TRUE(NeedsHostSpeed(fast));
  EXPECT_FALSE(NeedsHostSpeed(flops));
}

// The modelled track of a lockstep run: each step's parts (pull phase, wait for the slowest,
// compute, push phase) add up to the step, and the step ends where the timeline says.
TEST(ModelledTrackSteps, LockstepPartsAddUpToTheStep) {
  model::TimelineSpec spec;
  spec.kind = model::TimelineSpec::kPsSync;
  spec.worker_host = {1, 2};
  spec.server_host = {0};
  spec.shard_bytes = {1e6};
  spec.net = model::Network{.alpha_s = 1e-3, .bytes_per_s = 1e8};
  std::vector<std::vector<StepRecord>> records(2);
  for (int w = 0; w < 2; ++w) {
    for (uint64_t i = 1; i <= 2; ++i) {
      StepRecord r;
      r.set_step(i);
      r.set_model_compute_s(w == 0 ? 0.01 : 0.04);
      records[w].push_back(r);
    }
  }
  absl::StatusOr<model::Timeline> timeline = model::BuildTimeline(spec, records);
  ASSERT_TRUE(timeline.ok()) << timeline.status();
  const std::vector<StepRecord> fast = ModelledTrackSteps(spec, records, *timeline, 0);
  ASSERT_EQ(fast.size(), 2u);
  // Phases of 2 x 1e-3 + 2e6 / 1e8 = 0.022; a step is 0.022 + 0.04 + 0.022 = 0.084.
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_NEAR(fast[i].end_s(), 0.084 * (i + 1), 1e-12);
    EXPECT_NEAR(fast[i].step_s(), 0.084, 1e-12);
    EXPECT_NEAR(fast[i].pull_s(), 0.022, 1e-12);
    EXPECT_NEAR(fast[i].push_s(), 0.022, 1e-12);
    EXPECT_NEAR(fast[i].compute_s(), 0.01, 1e-12);
    EXPECT_NEAR(fast[i].wait_s(), 0.03, 1e-12) << "waits for worker 1's 0.04";
    EXPECT_NEAR(fast[i].pull_s() + fast[i].wait_s() + fast[i].compute_s() + fast[i].push_s(),
                fast[i].step_s(), 1e-12);
  }
  EXPECT_NEAR(ModelledTrackSteps(spec, records, *timeline, 1)[0].wait_s(), 0, 1e-12);
}

// A replay (ASYNC) keeps only each step's end: the track draws the push as this worker's push alone
// on the cluster (2 alpha + the shard's bytes over the link, as the hand computation below),
// the rest of the step after the compute as the pull, and the recorded figures as its args.
TEST(ModelledTrackSteps, ReplayDrawsThePushAndCarriesTheRecordedFigures) {
  model::TimelineSpec spec;
  spec.kind = model::TimelineSpec::kPsAsync;
  spec.worker_host = {0, 1};  // colocated: worker 0 shares host 0 with server 0
  spec.server_host = {0, 1};
  spec.shard_bytes = {1e6, 1e6};
  spec.net = model::Network{.alpha_s = 1e-3, .bytes_per_s = 1e8};
  std::vector<std::vector<StepRecord>> records(2);
  for (int w = 0; w < 2; ++w) {
    for (uint64_t i = 1; i <= 3; ++i) {
      StepRecord r;
      r.set_step(i);
      r.set_model_compute_s(0.01);
      r.set_pull_start_s(0.1 * i + 0.01 * w);
      r.set_push_start_s(0.1 * i + 0.01 * w + 0.05);
      r.set_loss(2.0f / i);
      r.set_batch_accuracy(0.25f * i);
      r.set_bytes_sent(1000 * i);
      r.set_bytes_received(2000 * i);
      r.set_staleness(i - 1);
      records[w].push_back(r);
    }
  }
  absl::StatusOr<model::Timeline> timeline = model::BuildTimeline(spec, records);
  ASSERT_TRUE(timeline.ok()) << timeline.status();
  const std::vector<StepRecord> steps = ModelledTrackSteps(spec, records, *timeline, 0);
  ASSERT_EQ(steps.size(), 3u);
  // Worker 0's push crosses to server 1 only: 2 x 1e-3 + 1e6 / 1e8 = 0.012 s.
  for (size_t i = 0; i < steps.size(); ++i) {
    const StepRecord& s = steps[i];
    const double rest = s.step_s() - s.compute_s();
    EXPECT_NEAR(s.push_s(), std::min(0.012, rest), 1e-12);
    EXPECT_NEAR(s.pull_s() + s.compute_s() + s.push_s(), s.step_s(), 1e-12);
    EXPECT_EQ(s.loss(), records[0][i].loss());
    EXPECT_EQ(s.batch_accuracy(), records[0][i].batch_accuracy());
    EXPECT_EQ(s.bytes_sent(), records[0][i].bytes_sent());
    EXPECT_EQ(s.bytes_received(), records[0][i].bytes_received());
    EXPECT_EQ(s.staleness(), records[0][i].staleness());
  }
  EXPECT_GT(steps[0].push_s(), 0);
}

}  // namespace
}  // namespace distsim::node
