// Learning-rate warm-up where updates happen: LocalExchange against hand computation, and the
// allreduce replicas and parameter-server shards against LocalExchange with the global batch and
// the same warm-up (SYNC and ring: within float rounding; one ASYNC worker: bit for bit).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "kernels/model.h"
#include "kernels/optimizer.h"
#include "sim/comm/inproc_peer_link.h"
#include "sim/comm/inproc_ps.h"
#include "sim/strategy/local_exchange.h"
#include "sim/strategy/lr_schedule.h"
#include "sim/strategy/partition.h"
#include "sim/strategy/ps_exchange.h"
#include "sim/strategy/ps_shard.h"
#include "sim/strategy/ring_exchange.h"
#include "tests/strategy/test_data.h"

namespace distsim::strategy {
namespace {

using testdata::Batch;
using testdata::kClasses;
using testdata::kInput;
using testdata::MakeBatch;
using testdata::MakeModel;
constexpr int kPerWorker = 8;

// SGD with lr 0.4 warmed up over 4 updates: the deltas are lr/4, 2lr/4, 3lr/4, lr times the
// gradient, then lr; after warm-up the bits are those of a plain SGD step.
TEST(LocalExchangeWarmupTest, FirstUpdatesUseTheWarmupRatesByHand) {
  const float lr = 0.4f;
  const std::vector<float> g = {1.0f, -2.0f, 0.5f, 3.0f};
  std::vector<float> p = {0.0f, 1.0f, -2.0f, 0.25f};
  LocalExchange exchange(kernels::MakeSgd<float>(4, lr), LearningRateSchedule{lr, 4});
  const double expected_rate[] = {0.1, 0.2, 0.3, 0.4};
  for (int k = 0; k < 4; ++k) {
    const std::vector<float> before = p;
    StepComm comm;
    ASSERT_TRUE(exchange.BeginStep(k + 1, p, &comm).ok());
    ASSERT_TRUE(exchange.EndStep(k + 1, g, p, &comm).ok());
    for (size_t i = 0; i < p.size(); ++i) {
      EXPECT_NEAR(double{before[i]} - p[i], expected_rate[k] * g[i], 1e-6)
          << "update " << k << " element " << i;
    }
  }
  // 0.1 + 0.2 + 0.3 + 0.4 = 1: p = p0 - g.
  const std::vector<float> p0 = {0.0f, 1.0f, -2.0f, 0.25f};
  for (size_t i = 0; i < p.size(); ++i) EXPECT_NEAR(p[i], p0[i] - g[i], 1e-6);
  // Update 4 and on: exactly plain SGD at lr.
  auto plain = kernels::MakeSgd<float>(4, lr);
  for (int k = 4; k < 6; ++k) {
    std::vector<float> expected = p;
    plain->Step(expected, g);
    StepComm comm;
    ASSERT_TRUE(exchange.EndStep(k + 1, g, p, &comm).ok());
    EXPECT_EQ(p, expected) << "update " << k;
  }
}

TEST(LocalExchangeWarmupTest, DefaultScheduleLeavesTheOptimizerAlone) {
  const std::vector<float> g = {1.0f, -2.0f, 0.5f};
  std::vector<float> p = {0.3f, 1.0f, -2.0f}, expected = p;
  LocalExchange exchange(kernels::MakeMomentum<float>(3, 0.07f, 0.9f, true));
  auto plain = kernels::MakeMomentum<float>(3, 0.07f, 0.9f, true);
  for (int k = 0; k < 3; ++k) {
    StepComm comm;
    ASSERT_TRUE(exchange.EndStep(k + 1, g, p, &comm).ok());
    plain->Step(expected, g);
  }
  EXPECT_EQ(p, expected);
}


enum class Opt { kSgd, kMomentum };

float RateOf(Opt opt) { return opt == Opt::kSgd ? 0.2f : 0.05f; }

OptimizerFactory Factory(Opt opt) {
  return [opt](int64_t size) -> std::unique_ptr<kernels::Optimizer<float>> {
    return opt == Opt::kSgd ? kernels::MakeSgd<float>(size, RateOf(opt))
                            : kernels::MakeMomentum<float>(size, RateOf(opt), 0.9f, false);
  };
}

std::vector<float> InitialParams() {
  std::vector<float> init(MakeModel()->layout().size());
  MakeModel()->Init(7, init.data());
  return init;
}

// Worker `w` of `workers` trains `steps` steps through `exchange` on slice w of each global
// batch (seeded by the step); `params` starts at the initial parameters.
void TrainThrough(GradientExchange& exchange, int w, int workers, int steps,
                  std::vector<float>& params) {
  auto model = MakeModel();
  std::vector<float> grads(params.size());
  for (int t = 0; t < steps; ++t) {
    const Batch b = MakeBatch(workers * kPerWorker, 1000 + t);
    StepComm comm;
    ASSERT_TRUE(exchange.BeginStep(t + 1, params, &comm).ok());
    model->TrainStep(params.data(), b.x.data() + size_t(w) * kPerWorker * kInput,
                     b.y.data() + size_t(w) * kPerWorker, kPerWorker, t, grads.data(), nullptr);
    ASSERT_TRUE(exchange.EndStep(t + 1, grads, params, &comm).ok());
  }
  ASSERT_TRUE(exchange.Finish().ok());
}

// `local` with n times the batch: one LocalExchange.
std::vector<float> TrainLocal(Opt opt, int n, int steps, int64_t warmup) {
  std::vector<float> params = InitialParams();
  auto model = MakeModel();
  std::vector<float> grads(params.size());
  LocalExchange exchange(Factory(opt)(static_cast<int64_t>(params.size())),
                         LearningRateSchedule{RateOf(opt), warmup});
  for (int t = 0; t < steps; ++t) {
    const Batch b = MakeBatch(n * kPerWorker, 1000 + t);
    model->TrainStep(params.data(), b.x.data(), b.y.data(), n * kPerWorker, t, grads.data(),
                     nullptr);
    StepComm comm;
    EXPECT_TRUE(exchange.EndStep(t + 1, grads, params, &comm).ok());
  }
  return params;
}

std::vector<float> TrainPs(Opt opt, PsMode mode, int n, int steps, int64_t warmup) {
  const std::vector<float> init = InitialParams();
  const ShardMap map = *PartitionParams(MakeModel()->layout(), 2, Partitioning::kBalancedRanges);
  constexpr int64_t kChunkBytes = 4096;  // several chunks per shard
  std::vector<std::unique_ptr<PsShard>> shards;
  std::vector<comm::PsShardHandler*> handlers;
  for (int s = 0; s < 2; ++s) {
    PsShardOptions options;
    options.shard_id = s;
    options.num_workers = n;
    options.mode = mode;
    options.chunk_bytes = kChunkBytes;
    options.learning_rate = LearningRateSchedule{RateOf(opt), warmup};
    shards.push_back(std::make_unique<PsShard>(options, map.shards[s], init, Factory(opt)));
    handlers.push_back(shards.back().get());
  }
  std::vector<std::thread> threads;
  for (int w = 0; w < n; ++w) {
    threads.emplace_back([&, w] {
      comm::PsClientOptions options;
      options.worker = w;
      options.total_elems = map.total_elems;
      options.shards = map.shards;
      options.chunk_bytes = kChunkBytes;
      PsExchange exchange(comm::MakeInProcessPsClient(options, handlers));
      std::vector<float> params(init.size());
      TrainThrough(exchange, w, n, steps, params);
    });
  }
  for (auto& t : threads) t.join();
  std::vector<float> flat(map.total_elems, std::nanf(""));
  for (const auto& shard : shards) shard->CopyParamsTo(flat);
  return flat;
}

std::vector<std::vector<float>> TrainRing(Opt opt, int n, int steps, int64_t warmup) {
  const std::vector<float> init = InitialParams();
  auto links = comm::MakeInProcessLinks(n);
  std::vector<std::vector<float>> replicas(n, init);
  std::vector<std::thread> threads;
  for (int r = 0; r < n; ++r) {
    threads.emplace_back([&, r] {
      RingExchange exchange(links[r].get(), Factory(opt)(static_cast<int64_t>(init.size())),
                            RingAllreduceOptions{}, LearningRateSchedule{RateOf(opt), warmup});
      TrainThrough(exchange, r, n, steps, replicas[r]);
    });
  }
  for (auto& t : threads) t.join();
  return replicas;
}

double RelativeDiff(const std::vector<float>& a, const std::vector<float>& b) {
  double diff = 0, norm = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    norm += double(a[i]) * a[i];
  }
  return std::sqrt(diff / norm);
}

constexpr int kSteps = 12;
constexpr int64_t kWarmup = 6;

TEST(PsWarmupTest, SyncTwoWorkersEqualLocalWithTheDoubledBatchAndTheSameWarmup) {
  for (Opt opt : {Opt::kSgd, Opt::kMomentum}) {
    SCOPED_TRACE(opt == Opt::kSgd ? "sgd" : "momentum");
    const std::vector<float> local = TrainLocal(opt, 2, kSteps, kWarmup);
    const std::vector<float> ps = TrainPs(opt, PsMode::kSync, 2, kSteps, kWarmup);
    EXPECT_LT(RelativeDiff(local, ps), 1e-5);
    // The warm-up mattered: without it the local run ends elsewhere.
    EXPECT_GT(RelativeDiff(local, TrainLocal(opt, 2, kSteps, 0)), 1e-4);
  }
}

TEST(PsWarmupTest, AsyncOneWorkerEqualsLocalBitForBit) {
  for (Opt opt : {Opt::kSgd, Opt::kMomentum}) {
    SCOPED_TRACE(opt == Opt::kSgd ? "sgd" : "momentum");
    const std::vector<float> local = TrainLocal(opt, 1, kSteps, kWarmup);
    const std::vector<float> ps = TrainPs(opt, PsMode::kAsync, 1, kSteps, kWarmup);
    ASSERT_EQ(local.size(), ps.size());
    EXPECT_EQ(std::memcmp(local.data(), ps.data(), local.size() * sizeof(float)), 0)
        << "relative diff " << RelativeDiff(local, ps);
  }
}

TEST(RingWarmupTest, ReplicasEqualLocalWithTheGlobalBatchAndTheSameWarmup) {
  const int n = 3;
  const std::vector<float> local = TrainLocal(Opt::kMomentum, n, kSteps, kWarmup);
  const std::vector<std::vector<float>> replicas = TrainRing(Opt::kMomentum, n, kSteps, kWarmup);
  for (int r = 1; r < n; ++r) EXPECT_EQ(replicas[r], replicas[0]) << "replica " << r;
  EXPECT_LT(RelativeDiff(local, replicas[0]), 1e-5);
  EXPECT_GT(RelativeDiff(local, TrainLocal(Opt::kMomentum, n, kSteps, 0)), 1e-4);
}

}  // namespace
}  // namespace distsim::strategy
