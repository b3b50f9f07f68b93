// The parameter-server strategy with workers as threads over the in-process transport: SYNC is
// `local` with n times the batch, ASYNC with one worker is `local` bit for bit, SSP's bound holds
// exactly, waits end (done, abort, stall timeout) and the staleness statistics add up.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "kernels/model.h"
#include "kernels/optimizer.h"
#include "sim/comm/inproc_ps.h"
#include "sim/strategy/partition.h"
#include "sim/strategy/ps_exchange.h"
#include "sim/strategy/ps_shard.h"
#include "tests/strategy/test_data.h"

namespace distsim::strategy {
namespace {

using testdata::Batch;
using testdata::kClasses;
using testdata::kInput;
using testdata::MakeBatch;
using testdata::MakeModel;


enum class Opt { kSgd, kMomentum, kAdam };

OptimizerFactory Factory(Opt opt) {
  return [opt](int64_t size) -> std::unique_ptr<kernels::Optimizer<float>> {
    switch (opt) {
      case Opt::kSgd: return kernels::MakeSgd<float>(size, 0.1f);
      case Opt::kMomentum: return kernels::MakeMomentum<float>(size, 0.05f, 0.9f, false);
      case Opt::kAdam: return kernels::MakeAdam<float>(size, 1e-3f, 0.9f, 0.999f, 1e-8f);
    }
    return nullptr;
  };
}

struct ClusterSpec {
  PsMode mode = PsMode::kAsync;
  uint32_t staleness = 0;
  int workers = 1;
  int shards = 2;
  Partitioning partitioning = Partitioning::kBalancedRanges;
  int64_t chunk_bytes = 4096;
  Opt opt = Opt::kSgd;
};

// k PsShard objects over one model's initial parameters, and in-process exchanges onto them.
class Cluster {
 public:
  Cluster(const kernels::ParamLayout& layout, const std::vector<float>& init,
          const ClusterSpec& spec)
      : spec_(spec), map_(*PartitionParams(layout, spec.shards, spec.partitioning)) {
    for (int s = 0; s < spec.shards; ++s) {
      PsShardOptions options;
      options.shard_id = s;
      options.num_workers = spec.workers;
      options.mode = spec.mode;
      options.staleness = spec.staleness;
      options.chunk_bytes = spec.chunk_bytes;
      shards_.push_back(std::make_unique<PsShard>(options, map_.shards[s], init, Factory(spec.opt)));
    }
  }

  comm::PsClientOptions ClientOptions(int worker) const {
    comm::PsClientOptions options;
    options.worker = worker;
    options.total_elems = map_.total_elems;
    options.shards = map_.shards;
    options.chunk_bytes = spec_.chunk_bytes;
    return options;
  }

  std::unique_ptr<PsExchange> Exchange(int worker) const {
    std::vector<comm::PsShardHandler*> handlers;
    for (const auto& shard : shards_) handlers.push_back(shard.get());
    return std::make_unique<PsExchange>(
        comm::MakeInProcessPsClient(ClientOptions(worker), handlers));
  }

  std::vector<float> Params() const {
    std::vector<float> flat(map_.total_elems, std::nanf(""));
    for (const auto& shard : shards_) shard->CopyParamsTo(flat);
    return flat;
  }

  // Min over shards of each worker's clock.
  std::vector<uint64_t> Clocks() const {
    std::vector<uint64_t> clocks = shards_[0]->clocks();
    for (const auto& shard : shards_) {
      const std::vector<uint64_t> c = shard->clocks();
      for (size_t w = 0; w < c.size(); ++w) clocks[w] = std::min(clocks[w], c[w]);
    }
    return clocks;
  }

  std::vector<std::unique_ptr<PsShard>>& shards() { return shards_; }

 private:
  ClusterSpec spec_;
  ShardMap map_;
  std::vector<std::unique_ptr<PsShard>> shards_;
};

double RelativeDiff(const std::vector<float>& a, const std::vector<float>& b) {
  double diff = 0, norm = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    norm += double(a[i]) * a[i];
  }
  return std::sqrt(diff / norm);
}

// `local`: one replica, batch n*b, the optimizer over the whole buffer.
std::vector<float> TrainLocal(bool mlp, Opt opt, int examples, int steps) {
  auto model = MakeModel(mlp);
  std::vector<float> params(model->layout().size()), grads(params.size());
  model->Init(7, params.data());
  auto optimizer = Factory(opt)(static_cast<int64_t>(params.size()));
  for (int t = 0; t < steps; ++t) {
    Batch batch = MakeBatch(examples, 1000 + t);
    model->TrainStep(params.data(), batch.x.data(), batch.y.data(), examples, t, grads.data(),
                     nullptr);
    optimizer->Step(params, grads);
  }
  return params;
}

// n workers as threads; worker i takes slice i of each step's global batch of n*b.
std::vector<float> TrainPs(bool mlp, const ClusterSpec& spec, int per_worker, int steps) {
  auto model = MakeModel(mlp);
  std::vector<float> init(model->layout().size());
  model->Init(7, init.data());
  Cluster cluster(model->layout(), init, spec);
  std::vector<Batch> batches;
  for (int t = 0; t < steps; ++t) batches.push_back(MakeBatch(spec.workers * per_worker, 1000 + t));
  std::vector<std::thread> threads;
  for (int w = 0; w < spec.workers; ++w) {
    threads.emplace_back([&, w] {
      auto replica = MakeModel(mlp);
      auto exchange = cluster.Exchange(w);
      std::vector<float> params(init.size()), grads(init.size());
      for (int t = 0; t < steps; ++t) {
        StepComm comm;
        ASSERT_TRUE(exchange->BeginStep(t + 1, params, &comm).ok());
        const Batch& b = batches[t];
        replica->TrainStep(params.data(), b.x.data() + size_t(w) * per_worker * kInput,
                           b.y.data() + size_t(w) * per_worker, per_worker, t, grads.data(),
                           nullptr);
        ASSERT_TRUE(exchange->EndStep(t + 1, grads, params, &comm).ok());
      }
      ASSERT_TRUE(exchange->Finish().ok());
    });
  }
  for (auto& t : threads) t.join();
  return cluster.Params();
}

TEST(PsSyncTest, MatchesLocalWithNTimesTheBatch) {
  constexpr int kB = 8, kSteps = 20;
  for (bool mlp : {false, true}) {
    for (Opt opt : {Opt::kSgd, Opt::kMomentum}) {
      for (int n = 1; n <= 4; ++n) {
        SCOPED_TRACE(testing::Message() << (mlp ? "mlp" : "softmax") << " opt="
                                        << static_cast<int>(opt) << " n=" << n);
        ClusterSpec spec;
        spec.mode = PsMode::kSync;
        spec.workers = n;
        spec.shards = 1 + n % 3;  // 1..3 shards
        spec.partitioning = n % 2 ? Partitioning::kRoundRobinTensors : Partitioning::kBalancedRanges;
        spec.opt = opt;
        const std::vector<float> local = TrainLocal(mlp, opt, n * kB, kSteps);
        const std::vector<float> ps = TrainPs(mlp, spec, kB, kSteps);
        EXPECT_LT(RelativeDiff(local, ps), 1e-5);
        EXPECT_GT(RelativeDiff(local, TrainLocal(mlp, opt, n * kB, 0)), 1e-3);  // it trained
      }
    }
  }
}

TEST(PsAsyncTest, OneWorkerMatchesLocalBitForBit) {
  for (Opt opt : {Opt::kSgd, Opt::kMomentum, Opt::kAdam}) {
    for (Partitioning p : {Partitioning::kBalancedRanges, Partitioning::kRoundRobinTensors}) {
      ClusterSpec spec;
      spec.mode = PsMode::kAsync;
      spec.shards = 3;
      spec.partitioning = p;
      spec.opt = opt;
      const std::vector<float> local = TrainLocal(true, opt, 16, 20);
      const std::vector<float> ps = TrainPs(true, spec, 16, 20);
      ASSERT_EQ(local.size(), ps.size());
      EXPECT_EQ(std::memcmp(local.data(), ps.data(), local.size() * sizeof(float)), 0)
          << "opt=" << static_cast<int>(opt) << " relative diff " << RelativeDiff(local, ps);
    }
  }
}

// Three workers on a softmax; worker 0 sleeps 4x longer per step than the others.
struct SlowRun {
  std::vector<int> steps;          // steps each worker completed
  int max_lead = 0;                // max over fast workers' pulls of own clock - min other clock
  int max_spread = 0;              // max over all pulls of max clock - min clock (all workers)
  bool sync_versions_ok = true;    // SYNC: every pull read version == own clock
  StalenessStats staleness;
};

SlowRun RunWithSlowWorker(PsMode mode, uint32_t s, int fast_steps) {
  constexpr int kWorkers = 3;
  auto model = MakeModel(false);
  std::vector<float> init(model->layout().size());
  model->Init(7, init.data());
  ClusterSpec spec;
  spec.mode = mode;
  spec.staleness = s;
  spec.workers = kWorkers;
  spec.shards = 2;
  Cluster cluster(model->layout(), init, spec);
  SlowRun run;
  run.steps.assign(kWorkers, 0);
  std::mutex mu;
  std::atomic<int> fast_done{0};
  std::atomic<bool> slow_pulled{false};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWorkers; ++w) {
    threads.emplace_back([&, w] {
      auto replica = MakeModel(false);
      auto exchange = cluster.Exchange(w);
      std::vector<float> params(init.size()), grads(init.size());
      Batch batch = MakeBatch(8, 50 + w);
      const bool slow = w == 0;
      for (int t = 0;; ++t) {
        // The slow worker runs until the fast ones are done (ASYNC) or as many steps (others).
        if (slow ? (mode == PsMode::kAsync ? fast_done.load() == kWorkers - 1 : t == fast_steps)
                 : t == fast_steps) {
          break;
        }
        if (!slow && mode == PsMode::kAsync) {
          // The fast workers start after the slow one's pull, so it reads version 0.
          while (!slow_pulled.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        StepComm comm;
        ASSERT_TRUE(exchange->BeginStep(t + 1, params, &comm).ok());
        if (slow) slow_pulled = true;
        {
          const std::vector<uint64_t> clocks = cluster.Clocks();
          std::lock_guard<std::mutex> lock(mu);
          uint64_t lo = UINT64_MAX, hi = 0, others = UINT64_MAX;
          for (int v = 0; v < kWorkers; ++v) {
            lo = std::min(lo, clocks[v]);
            hi = std::max(hi, clocks[v]);
            if (v != w) others = std::min(others, clocks[v]);
          }
          if (!slow) run.max_lead = std::max(run.max_lead, int(int64_t(t) - int64_t(others)));
          run.max_spread = std::max(run.max_spread, int(hi - lo));
          for (uint64_t v : exchange->versions()) {
            if (mode == PsMode::kSync && v != uint64_t(t)) run.sync_versions_ok = false;
          }
        }
        if (slow && mode == PsMode::kAsync) {
          // It holds the parameters it pulled while the fast workers run to their end, so its
          // one push is stale by every update they made, however the threads are scheduled.
          while (fast_done.load() < kWorkers - 1) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
          }
        } else {
          std::this_thread::sleep_for(std::chrono::milliseconds(slow ? 8 : 2));
        }
        replica->TrainStep(params.data(), batch.x.data(), batch.y.data(), 8, t, grads.data(),
                           nullptr);
        ASSERT_TRUE(exchange->EndStep(t + 1, grads, params, &comm).ok());
        std::lock_guard<std::mutex> lock(mu);
        ++run.steps[w];
      }
      if (!slow) ++fast_done;
      ASSERT_TRUE(exchange->Finish().ok());
    });
  }
  for (auto& t : threads) t.join();
  for (auto& shard : cluster.shards()) run.staleness.Merge(shard->staleness());
  return run;
}

TEST(PsSlowWorkerTest, SspLetsOthersRunExactlyTwoClocksAhead) {
  const SlowRun run = RunWithSlowWorker(PsMode::kSsp, 2, 30);
  EXPECT_EQ(run.max_lead, 2);
  EXPECT_EQ(run.steps, (std::vector<int>{30, 30, 30}));
  EXPECT_GE(run.staleness.max(), 1u);
}

TEST(PsSlowWorkerTest, SspZeroIsLockstepWithNUpdatesPerClock) {
  const SlowRun run = RunWithSlowWorker(PsMode::kSsp, 0, 10);
  EXPECT_EQ(run.max_lead, 0);
  EXPECT_EQ(run.staleness.count(), 2u * 3 * 10);  // every push an update, on each of 2 shards
}

TEST(PsSlowWorkerTest, AsyncLetsFastWorkersRunAhead) {
  const SlowRun run = RunWithSlowWorker(PsMode::kAsync, 0, 40);
  EXPECT_EQ(run.steps, (std::vector<int>{1, 40, 40})) << "nobody waited for the slow worker";
  EXPECT_EQ(run.staleness.max(), 80u) << "its push came after the fast workers' 2 x 40";
}

TEST(PsSlowWorkerTest, SyncKeepsWorkersEqual) {
  const SlowRun run = RunWithSlowWorker(PsMode::kSync, 0, 12);
  EXPECT_EQ(run.steps, (std::vector<int>{12, 12, 12}));
  EXPECT_LE(run.max_spread, 1);  // between a worker's push and the last one of the step
  EXPECT_LE(run.max_lead, 0);
  EXPECT_TRUE(run.sync_versions_ok);
  EXPECT_EQ(run.staleness.max(), 0u);
  EXPECT_EQ(run.staleness.count(), 2u * 12);  // one averaged update per step per shard
}

// A SYNC cluster of two where worker 1 never pushes.
struct Stuck {
  std::vector<float> init;
  std::unique_ptr<Cluster> cluster;
  std::unique_ptr<comm::PsClient> client;
};

Stuck StartStuckSync(absl::Duration stall_timeout) {
  Stuck stuck;
  auto model = MakeModel(false);
  stuck.init.resize(model->layout().size());
  ClusterSpec spec;
  spec.mode = PsMode::kSync;
  spec.workers = 2;
  stuck.cluster = std::make_unique<Cluster>(model->layout(), stuck.init, spec);
  comm::PsClientOptions options = stuck.cluster->ClientOptions(0);
  options.stall_timeout = stall_timeout;
  std::vector<comm::PsShardHandler*> handlers;
  for (auto& s : stuck.cluster->shards()) handlers.push_back(s.get());
  stuck.client = comm::MakeInProcessPsClient(options, handlers);
  std::vector<float> params(stuck.init.size());
  comm::PullResult pulled;
  comm::PushResult pushed;
  EXPECT_TRUE(stuck.client->Pull(0, params, &pulled).ok());
  EXPECT_TRUE(stuck.client->Push(0, params, pulled.versions, &pushed).ok());
  return stuck;
}

// A non-finite gradient is refused, naming the worker and the step, and never applied; the
// refusal does not reveal the shard's clock. Checked for every mode.
TEST(PsBadGradientTest, NonFinitePushIsRefusedAndNotApplied) {
  for (PsMode mode : {PsMode::kAsync, PsMode::kSsp, PsMode::kSync}) {
    PsShardOptions options;
    options.num_workers = 2;
    options.mode = mode;
    options.chunk_bytes = 4096;
    const std::vector<float> init(100, 0.5f);
    PsShard shard(options, {{0, 100}}, init, Factory(Opt::kSgd));
    std::vector<float> grad(100, 0.25f);
    grad[37] = std::nanf("");
    absl::Status refused = shard.PushChunk(1, 0, 0, grad);
    EXPECT_TRUE(absl::IsDataLoss(refused)) << refused;
    EXPECT_NE(refused.message().find("worker 1 pushed a non-finite gradient at step 1"),
              std::string::npos)
        << refused;
    EXPECT_NE(refused.message().find("element 37"), std::string::npos) << refused;
    std::vector<float> after(100, 0);
    shard.CopyParamsTo(after);
    EXPECT_EQ(after, init) << "a refused gradient changed the parameters";
    EXPECT_EQ(shard.pushes_refused(), 1u);
    ASSERT_TRUE(shard.first_bad_push().has_value());
    grad[37] = INFINITY;
    EXPECT_TRUE(absl::IsDataLoss(shard.PushChunk(0, 0, 0, grad)));
    EXPECT_EQ(shard.pushes_refused(), 2u);
    EXPECT_NE(shard.first_bad_push()->find("worker 1"), std::string::npos);  // the first kept
    // A call at a clock the worker has not reached is refused without the shard's clock in it.
    absl::Status early = shard.PushChunk(0, 7, 0, std::vector<float>(100, 0.f));
    EXPECT_FALSE(early.ok());
    EXPECT_EQ(early.message().find("completed"), std::string::npos) << early;
  }
}

// on_bad_gradient SKIP, ASYNC: the push is dropped from its bad chunk on and the run goes on. A
// chunk applied before the bad one stays applied; a push dropped whole is no update (the version
// does not move) but the worker's clock does.
TEST(PsBadGradientTest, SkipDropsTheRestOfThePushAndGoesOn) {
  PsShardOptions options;
  options.num_workers = 1;
  options.mode = PsMode::kAsync;
  options.chunk_bytes = 4096;  // 1024 floats a chunk: 2 chunks
  options.skip_bad_gradients = true;
  const std::vector<float> init(2000, 1.0f);
  std::vector<float> grad(2000, 0.5f);
  grad[1500] = std::nanf("");
  PsShard shard(options, {{0, 2000}}, init, Factory(Opt::kSgd));
  ASSERT_TRUE(shard.PushChunk(0, 0, 0, std::span(grad).first(1024)).ok());
  ASSERT_TRUE(shard.PushChunk(0, 0, 1, std::span(grad).subspan(1024)).ok());
  absl::StatusOr<comm::PushAck> ack = shard.FinishPush(0, 0, 0);
  ASSERT_TRUE(ack.ok()) << ack.status();
  EXPECT_EQ(ack->version, 1u) << "chunk 0 was applied: an update";
  EXPECT_EQ(shard.pushes_skipped(), 1u);
  EXPECT_EQ(shard.pushes_refused(), 0u);
  ASSERT_TRUE(shard.first_bad_push().has_value());
  EXPECT_NE(shard.first_bad_push()->find("dropped"), std::string::npos);
  // The same push with chunk 1 all zeros (an SGD step that changes nothing) is the truth.
  std::vector<float> zero_tail(grad);
  std::fill(zero_tail.begin() + 1024, zero_tail.end(), 0.0f);
  PsShard truth(options, {{0, 2000}}, init, Factory(Opt::kSgd));
  ASSERT_TRUE(truth.PushChunk(0, 0, 0, std::span(zero_tail).first(1024)).ok());
  ASSERT_TRUE(truth.PushChunk(0, 0, 1, std::span(zero_tail).subspan(1024)).ok());
  ASSERT_TRUE(truth.FinishPush(0, 0, 0).ok());
  std::vector<float> got(2000), want(2000);
  shard.CopyParamsTo(got);
  truth.CopyParamsTo(want);
  EXPECT_EQ(got, want);
  EXPECT_NE(got[0], init[0]) << "the good chunk before the bad one was applied";
  // A push bad in its first chunk is dropped whole: no update, but the clock moves on.
  grad[3] = INFINITY;
  ASSERT_TRUE(shard.PushChunk(0, 1, 0, std::span(grad).first(1024)).ok());
  ASSERT_TRUE(shard.PushChunk(0, 1, 1, std::span(grad).subspan(1024)).ok());
  ack = shard.FinishPush(0, 1, 1);
  ASSERT_TRUE(ack.ok()) << ack.status();
  EXPECT_EQ(ack->version, 1u);
  EXPECT_EQ(shard.pushes_skipped(), 2u);
  shard.CopyParamsTo(got);
  EXPECT_EQ(got, want) << "a push dropped whole changed the parameters";
  EXPECT_EQ(shard.clocks(), std::vector<uint64_t>{2});
}

// on_bad_gradient SKIP, SYNC: the step averages the parts that were used, so two workers of
// which one pushed a NaN give the update of the good worker alone.
TEST(PsBadGradientTest, SkipInSyncAveragesTheGoodParts) {
  PsShardOptions options;
  options.mode = PsMode::kSync;
  options.chunk_bytes = 4096;
  options.skip_bad_gradients = true;
  const std::vector<float> init(100, 1.0f);
  std::vector<float> good(100), bad(100, 0.25f);
  for (int i = 0; i < 100; ++i) good[i] = 0.01f * static_cast<float>(i);
  bad[10] = std::nanf("");
  options.num_workers = 2;
  PsShard pair(options, {{0, 100}}, init, Factory(Opt::kSgd));
  ASSERT_TRUE(pair.PushChunk(1, 0, 0, bad).ok());
  ASSERT_TRUE(pair.PushChunk(0, 0, 0, good).ok());
  ASSERT_TRUE(pair.FinishPush(1, 0, 0).ok());
  absl::StatusOr<comm::PushAck> ack = pair.FinishPush(0, 0, 0);
  ASSERT_TRUE(ack.ok()) << ack.status();
  EXPECT_EQ(ack->version, 1u);
  options.num_workers = 1;
  PsShard alone(options, {{0, 100}}, init, Factory(Opt::kSgd));
  ASSERT_TRUE(alone.PushChunk(0, 0, 0, good).ok());
  ASSERT_TRUE(alone.FinishPush(0, 0, 0).ok());
  std::vector<float> got(100), want(100);
  pair.CopyParamsTo(got);
  alone.CopyParamsTo(want);
  EXPECT_EQ(got, want);
  EXPECT_EQ(pair.pushes_skipped(), 1u);
}

// A push replayed after a retry (a chunk again, or the whole push again after its finish) is
// applied exactly once, and the replayed finish gets the first answer.
TEST(PsReplayTest, AReplayedPushIsAppliedOnce) {
  for (PsMode mode : {PsMode::kAsync, PsMode::kSync}) {
    PsShardOptions options;
    options.num_workers = 1;
    options.mode = mode;
    options.chunk_bytes = 4096;  // 1024 floats a chunk: 2 chunks
    const std::vector<float> init(2000, 1.0f);
    const std::vector<float> grad(2000, 0.5f);
    auto push = [&](PsShard& shard, bool replay) {
      ASSERT_TRUE(shard.PushChunk(0, 0, 0, std::span(grad).first(1024)).ok());
      if (replay) {
        ASSERT_TRUE(shard.PushChunk(0, 0, 0, std::span(grad).first(1024)).ok());
      }
      ASSERT_TRUE(shard.PushChunk(0, 0, 1, std::span(grad).subspan(1024)).ok());
      absl::StatusOr<comm::PushAck> first = shard.FinishPush(0, 0, 0);
      ASSERT_TRUE(first.ok()) << first.status();
      if (!replay) return;
      ASSERT_TRUE(shard.PushChunk(0, 0, 1, std::span(grad).subspan(1024)).ok());
      absl::StatusOr<comm::PushAck> again = shard.FinishPush(0, 0, 0);
      ASSERT_TRUE(again.ok()) << again.status();
      EXPECT_EQ(again->version, first->version);
    };
    PsShard once(options, {{0, 2000}}, init, Factory(Opt::kSgd));
    PsShard replayed(options, {{0, 2000}}, init, Factory(Opt::kSgd));
    push(once, false);
    push(replayed, true);
    std::vector<float> a(2000), b(2000);
    once.CopyParamsTo(a);
    replayed.CopyParamsTo(b);
    EXPECT_EQ(a, b) << "a replay was applied twice";
    EXPECT_NE(a, init) << "the push was not applied at all";
    EXPECT_EQ(once.version(), replayed.version());
    EXPECT_EQ(replayed.clocks(), std::vector<uint64_t>{1});
  }
}

TEST(PsWaitTest, StallTimeoutNamesTheSilentWorker) {
  Stuck stuck = StartStuckSync(absl::Milliseconds(200));
  std::vector<float> params(stuck.init.size());
  comm::PullResult pulled;
  const auto start = std::chrono::steady_clock::now();
  absl::Status status = stuck.client->Pull(1, params, &pulled);
  EXPECT_TRUE(absl::IsDeadlineExceeded(status)) << status;
  EXPECT_NE(status.message().find("for worker 1"), std::string::npos) << status;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

// Waits (polling, no fixed sleep) until a pull is parked on some shard of `stuck`. False if none
// parks within 30 s.
bool WaitUntilParked(Stuck& stuck) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < give_up) {
    for (auto& s : stuck.cluster->shards()) {
      if (s->parked() > 0) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

// The stall timeout of the abort tests is 60 s: an abort that works returns long before it.
constexpr auto kWellBeforeTheStall = std::chrono::seconds(20);

// Parks a pull of worker 1 on a stuck SYNC cluster, runs `abort`, and checks the pull returns
// Cancelled well before the stall timeout.
void ExpectAbortReleasesAParkedPull(const std::function<void(Stuck&)>& abort) {
  Stuck stuck = StartStuckSync(absl::Seconds(60));
  absl::Status status;
  std::thread puller([&] {
    std::vector<float> params(stuck.init.size());
    comm::PullResult pulled;
    status = stuck.client->Pull(1, params, &pulled);
  });
  EXPECT_TRUE(WaitUntilParked(stuck));
  const auto start = std::chrono::steady_clock::now();
  abort(stuck);
  puller.join();
  EXPECT_TRUE(absl::IsCancelled(status)) << status;
  EXPECT_LT(std::chrono::steady_clock::now() - start, kWellBeforeTheStall);
}

TEST(PsWaitTest, ShardAbortReleasesWaiters) {
  ExpectAbortReleasesAParkedPull([](Stuck& stuck) {
    for (auto& s : stuck.cluster->shards()) s->Abort();
  });
}

TEST(PsWaitTest, ClientAbortReleasesItsWait) {
  ExpectAbortReleasesAParkedPull([](Stuck& stuck) { stuck.client->Abort(); });
}

TEST(PsWaitTest, DoneWorkerIsNoLongerWaitedFor) {
  Stuck stuck = StartStuckSync(absl::Seconds(60));
  // Worker 1 leaves without contributing: step 0's update is worker 0's gradient alone.
  for (auto& s : stuck.cluster->shards()) ASSERT_TRUE(s->WorkerDone(1).ok());
  std::vector<float> params(stuck.init.size());
  comm::PullResult pulled;
  ASSERT_TRUE(stuck.client->Pull(1, params, &pulled).ok());
  EXPECT_EQ(pulled.versions, (std::vector<uint64_t>{1, 1}));
}

TEST(PsShardTest, RefusesOutOfOrderAndWrongClock) {
  std::vector<float> init(100, 0.f);
  PsShardOptions options;
  options.num_workers = 2;
  options.chunk_bytes = 160;  // 40 floats: chunks of 40, 40, 20
  PsShard shard(options, {{0, 100}}, init, Factory(Opt::kSgd));
  EXPECT_EQ(shard.num_chunks(), 3);
  std::vector<float> g(40, 1.f);
  EXPECT_TRUE(absl::IsFailedPrecondition(shard.PushChunk(0, 5, 0, g)));
  EXPECT_TRUE(absl::IsInvalidArgument(shard.PushChunk(0, 0, 1, g)));
  EXPECT_TRUE(absl::IsInvalidArgument(shard.PushChunk(7, 0, 0, g)));
  EXPECT_TRUE(shard.PushChunk(0, 0, 0, g).ok());
  EXPECT_FALSE(shard.FinishPush(0, 0, 0).ok());  // two chunks missing
}

// The largest clock is not the push before clock 0: a fresh worker's push and finish at clock
// 2^64 - 1 are refused, not taken for a replay (clock + 1 wrapped to 0; fuzz_ps_messages checks
// that a finished push leaves its worker at clock + 1).
TEST(PsShardTest, LargestClockIsNotAReplayOfTheFirstPush) {
  std::vector<float> init(100, 0.f);
  PsShardOptions options;
  options.chunk_bytes = 400;  // one chunk
  PsShard shard(options, {{0, 100}}, init, Factory(Opt::kSgd));
  constexpr uint64_t kLargest = std::numeric_limits<uint64_t>::max();
  std::vector<float> g(100, 1.f);
  EXPECT_TRUE(absl::IsFailedPrecondition(shard.PushChunk(0, kLargest, 0, g)));
  EXPECT_TRUE(absl::IsFailedPrecondition(shard.FinishPush(0, kLargest, 0).status()));
  EXPECT_EQ(shard.clocks(), std::vector<uint64_t>{0});
  // After a real push, its replay is still recognised.
  ASSERT_TRUE(shard.PushChunk(0, 0, 0, g).ok());
  ASSERT_TRUE(shard.FinishPush(0, 0, 0).ok());
  EXPECT_TRUE(shard.PushChunk(0, 0, 0, g).ok());
  EXPECT_TRUE(shard.FinishPush(0, 0, 0).ok());
  EXPECT_EQ(shard.version(), 1u);
}

// A new process of a worker whose push was cut off part-way (chunk 0 of 2 arrived and was
// applied): Rejoin says its clock and the cut; its push of that step again skips chunk 0 and
// applies chunk 1, so the shard holds what one whole push would have given.
TEST(PsRejoinTest, ACutPushIsFinishedWithoutApplyingItsFirstChunkTwice) {
  PsShardOptions options;
  options.num_workers = 2;
  options.chunk_bytes = 4096;  // 1024 floats a chunk: 2 chunks
  const std::vector<float> init(2000, 1.0f);
  const std::vector<float> grad(2000, 0.5f);
  PsShard whole(options, {{0, 2000}}, init, Factory(Opt::kSgd));
  PsShard cut(options, {{0, 2000}}, init, Factory(Opt::kSgd));
  for (PsShard* shard : {&whole, &cut}) {
    ASSERT_TRUE(shard->PushChunk(1, 0, 0, std::span(grad).first(1024)).ok());
  }
  ASSERT_TRUE(whole.PushChunk(1, 0, 1, std::span(grad).subspan(1024)).ok());
  ASSERT_TRUE(whole.FinishPush(1, 0, 0).ok());
  absl::StatusOr<comm::RejoinPoint> point = cut.Rejoin(1);
  ASSERT_TRUE(point.ok()) << point.status();
  EXPECT_EQ(point->clock, 0u);
  EXPECT_TRUE(point->cut);
  ASSERT_TRUE(cut.WaitPull(1, 0, absl::ZeroDuration()).ok());
  ASSERT_TRUE(cut.PushChunk(1, 0, 0, std::span(grad).first(1024)).ok());
  ASSERT_TRUE(cut.PushChunk(1, 0, 1, std::span(grad).subspan(1024)).ok());
  ASSERT_TRUE(cut.FinishPush(1, 0, 0).ok());
  std::vector<float> a(2000), b(2000);
  whole.CopyParamsTo(a);
  cut.CopyParamsTo(b);
  EXPECT_EQ(a, b) << "the cut push's first chunk was applied twice";
  EXPECT_EQ(cut.version(), 1u);
  EXPECT_EQ(cut.clocks(), (std::vector<uint64_t>{0, 1}));
  EXPECT_EQ(cut.staleness().count(), 1u);
}

// A shard that finished the worker's last push while another shard did not: the rejoined worker
// goes on at the smaller clock, so this shard grants it the pull of the clock before once, takes
// the push again as a replay (not applied), and from then on expects the next clock.
TEST(PsRejoinTest, AShardAheadTakesTheStepAgainAsAReplay) {
  PsShardOptions options;
  options.num_workers = 2;
  options.mode = PsMode::kSsp;
  options.staleness = 2;
  options.chunk_bytes = 400;  // one chunk
  const std::vector<float> init(100, 0.f);
  const std::vector<float> g(100, 1.f);
  PsShard shard(options, {{0, 100}}, init, Factory(Opt::kSgd));
  ASSERT_TRUE(shard.PushChunk(1, 0, 0, g).ok());
  ASSERT_TRUE(shard.FinishPush(1, 0, 0).ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(shard.WaitPull(1, 0, absl::ZeroDuration()).status()));
  absl::StatusOr<comm::RejoinPoint> point = shard.Rejoin(1);
  ASSERT_TRUE(point.ok()) << point.status();
  EXPECT_EQ(point->clock, 1u);
  EXPECT_FALSE(point->cut);
  absl::StatusOr<comm::PullGrant> grant = shard.WaitPull(1, 0, absl::ZeroDuration());
  ASSERT_TRUE(grant.ok()) << grant.status();
  EXPECT_TRUE(grant->ready);
  ASSERT_TRUE(shard.PushChunk(1, 0, 0, g).ok());
  ASSERT_TRUE(shard.FinishPush(1, 0, 0).ok());
  EXPECT_EQ(shard.version(), 1u);
  EXPECT_TRUE(absl::IsFailedPrecondition(shard.WaitPull(1, 0, absl::ZeroDuration()).status()));
  EXPECT_TRUE(shard.WaitPull(1, 1, absl::ZeroDuration()).ok());
  options.mode = PsMode::kSync;
  PsShard sync(options, {{0, 100}}, init, Factory(Opt::kSgd));
  EXPECT_TRUE(absl::IsUnimplemented(sync.Rejoin(1).status()));
}

// SYNC averages the step's gradients in worker order, whatever order the pushes arrive in: the
// update has the same bits (float addition is not associative, so an arrival-order sum of three
// or more would not).
TEST(PsShardTest, SyncAverageDoesNotDependOnArrivalOrder) {
  constexpr int kWorkers = 4;
  // Values whose float sums differ by order: large and small magnitudes mixed.
  std::vector<std::vector<float>> grads(kWorkers, std::vector<float>(40));
  for (int w = 0; w < kWorkers; ++w) {
    for (int i = 0; i < 40; ++i) {
      grads[w][i] = (w % 2 == 0 ? 1e7f : 1.f) * (1.f + 0.37f * i + 0.11f * w) * (i % 3 == 0 ? -1 : 1);
    }
  }
  std::vector<std::vector<float>> results;
  for (const std::vector<int>& order :
       {std::vector<int>{0, 1, 2, 3}, {3, 2, 1, 0}, {2, 0, 3, 1}, {1, 3, 0, 2}}) {
    std::vector<float> init(40, 0.5f);
    PsShardOptions options;
    options.num_workers = kWorkers;
    options.mode = PsMode::kSync;
    PsShard shard(options, {{0, 40}}, init, Factory(Opt::kSgd));
    for (int w : order) {
      ASSERT_TRUE(shard.PushChunk(w, 0, 0, grads[w]).ok());
      ASSERT_TRUE(shard.FinishPush(w, 0, 0).ok());
    }
    ASSERT_EQ(shard.version(), 1u);
    std::vector<float> params(40);
    ASSERT_TRUE(shard.ReadChunk(0, params).ok());
    results.push_back(params);
  }
  // An arrival-order sum would differ for at least one of these orders.
  std::vector<float> forward(40), backward(40);
  for (int i = 0; i < 40; ++i) {
    forward[i] = ((grads[0][i] + grads[1][i]) + grads[2][i]) + grads[3][i];
    backward[i] = ((grads[3][i] + grads[2][i]) + grads[1][i]) + grads[0][i];
  }
  ASSERT_NE(std::memcmp(forward.data(), backward.data(), 40 * sizeof(float)), 0)
      << "the test's values must be order-sensitive";
  for (size_t r = 1; r < results.size(); ++r) {
    EXPECT_EQ(std::memcmp(results[0].data(), results[r].data(), 40 * sizeof(float)), 0)
        << "order " << r;
  }
}

TEST(StalenessStatsTest, MeanP99Max) {
  StalenessStats stats;
  for (int i = 0; i < 99; ++i) stats.Add(1);
  stats.Add(50);
  EXPECT_EQ(stats.count(), 100u);
  EXPECT_DOUBLE_EQ(stats.mean(), (99 + 50) / 100.0);
  EXPECT_EQ(stats.p99(), 1u);
  EXPECT_EQ(stats.max(), 50u);
  StalenessStats other;
  other.Add(3);
  other.Add(3);
  stats.Merge(other);
  EXPECT_EQ(stats.count(), 102u);
  EXPECT_EQ(stats.p99(), 3u);
}

TEST(PsExchangeTest, CountsTwiceTheModelBytesPerStep) {
  auto model = MakeModel(true);
  std::vector<float> init(model->layout().size());
  ClusterSpec spec;
  spec.shards = 3;
  Cluster cluster(model->layout(), init, spec);
  auto exchange = cluster.Exchange(0);
  std::vector<float> params(init.size()), grads(init.size(), 0.f);
  StepComm comm;
  ASSERT_TRUE(exchange->BeginStep(1, params, &comm).ok());
  ASSERT_TRUE(exchange->EndStep(1, grads, params, &comm).ok());
  EXPECT_EQ(comm.bytes_sent, init.size() * 4);
  EXPECT_EQ(comm.bytes_received, init.size() * 4);
  EXPECT_FALSE(exchange->EndStep(2, grads, params, &comm).ok());  // no pull before it
}

// One SYNC step of two workers on `shard` at clock `clock`: each pushes every chunk of a
// gradient that depends on (worker, clock, element).
void SyncStep(PsShard& shard, uint64_t clock) {
  for (int w = 0; w < 2; ++w) {
    for (int c = 0; c * shard.chunk_elems() < shard.size(); ++c) {
      const int64_t n = std::min(shard.chunk_elems(), shard.size() - c * shard.chunk_elems());
      std::vector<float> grad(n);
      for (int64_t i = 0; i < n; ++i) {
        grad[i] = 0.001f * static_cast<float>((w + 1) * (clock + 3) * ((i % 17) - 8));
      }
      ASSERT_TRUE(shard.PushChunk(w, clock, c, grad).ok());
    }
  }
  for (int w = 0; w < 2; ++w) ASSERT_TRUE(shard.FinishPush(w, clock, clock).ok());
}

// A shard restored from the state its checkpoint hook got at version 3 goes on to the bits of
// the shard that never stopped (Adam: moments and step count are part of the state).
TEST(PsCheckpointTest, RestoredShardContinuesOnTheSameBits) {
  PsShardOptions options;
  options.mode = PsMode::kSync;
  options.num_workers = 2;
  options.chunk_bytes = 4096;  // 2500 floats: three chunks, each with its own optimizer
  std::vector<ShardState> saved;
  options.checkpoint_every = 3;
  options.on_checkpoint = [&saved](const ShardState& s) {
    saved.push_back(s);
    return absl::OkStatus();
  };
  const std::vector<float> init(2500, 0.5f);
  PsShard straight(options, {{0, 2500}}, init, Factory(Opt::kAdam));
  for (uint64_t clock = 0; clock < 6; ++clock) SyncStep(straight, clock);
  ASSERT_EQ(saved.size(), 2u);  // versions 3 and 6
  EXPECT_EQ(saved[0].version, 3u);
  EXPECT_EQ(saved[0].optimizer_steps, std::vector<int64_t>(3, 3));

  options.on_checkpoint = nullptr;
  PsShard resumed(options, {{0, 2500}}, init, Factory(Opt::kAdam));
  ASSERT_TRUE(resumed.Restore(saved[0]).ok());
  EXPECT_EQ(resumed.version(), 3u);
  EXPECT_EQ(resumed.clocks(), std::vector<uint64_t>(2, 3));
  for (uint64_t clock = 3; clock < 6; ++clock) SyncStep(resumed, clock);
  std::vector<float> got(2500), want(2500);
  resumed.CopyParamsTo(got);
  straight.CopyParamsTo(want);
  EXPECT_EQ(got, want);
  EXPECT_NE(want, init);

  PsShard other(options, {{0, 1000}}, init, Factory(Opt::kAdam));
  EXPECT_TRUE(absl::IsInvalidArgument(other.Restore(saved[0])));
}

}  // namespace
}  // namespace distsim::strategy
