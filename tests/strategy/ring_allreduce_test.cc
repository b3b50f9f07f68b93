// Ring allreduce over the in-process link (ranks as threads): sums against an independent double
// accumulation, bit-identity across ranks and runs, bytes on the wire, and ring training against
// a single replica with the global batch.
#include "sim/strategy/ring_allreduce.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <thread>
#include <vector>

#include "kernels/model.h"
#include "kernels/optimizer.h"
#include "kernels/random.h"
#include "sim/comm/inproc_peer_link.h"
#include "sim/strategy/ring_exchange.h"

namespace distsim::strategy {
namespace {

using Buffers = std::vector<std::vector<float>>;

Buffers RandomInputs(int n, int64_t len, uint64_t seed) {
  Buffers inputs(n, std::vector<float>(len));
  for (int r = 0; r < n; ++r) {
    const uint64_t key = kernels::StreamKey(seed, r);
    for (int64_t i = 0; i < len; ++i) inputs[r][i] = static_cast<float>(kernels::RandomNormal(key, i));
  }
  return inputs;
}

// Runs `body(rank)` on n threads and waits for all.
void OnThreads(int n, const std::function<void(int)>& body) {
  std::vector<std::thread> threads;
  for (int r = 0; r < n; ++r) threads.emplace_back(body, r);
  for (auto& t : threads) t.join();
}

// Allreduces `buffers` in place over fresh in-process links; returns the links' bytes sent.
std::vector<uint64_t> RunRing(Buffers& buffers, RingAllreduceOptions options) {
  const int n = static_cast<int>(buffers.size());
  auto links = comm::MakeInProcessLinks(n);
  std::vector<absl::Status> statuses(n);
  OnThreads(n, [&](int r) { statuses[r] = RingAllreduce(*links[r], buffers[r], options); });
  std::vector<uint64_t> sent;
  for (int r = 0; r < n; ++r) {
    EXPECT_TRUE(statuses[r].ok()) << statuses[r];
    sent.push_back(links[r]->bytes_sent());
  }
  return sent;
}

// Every rank's result equals the double-accumulated sum (or mean) within float rounding.
void ExpectMatchesExact(const Buffers& inputs, const Buffers& outputs, bool average) {
  const int n = static_cast<int>(inputs.size());
  const double eps = std::numeric_limits<float>::epsilon();
  for (size_t i = 0; i < inputs[0].size(); ++i) {
    double exact = 0, magnitude = 0;
    for (int r = 0; r < n; ++r) {
      exact += inputs[r][i];
      magnitude += std::abs(inputs[r][i]);
    }
    if (average) {
      exact /= n;
      magnitude /= n;
    }
    const double tolerance = (n + 1) * eps * magnitude + 1e-30;
    for (int r = 0; r < n; ++r) {
      ASSERT_NEAR(outputs[r][i], exact, tolerance) << "rank " << r << " element " << i;
    }
  }
}

TEST(RingAllreduceTest, MatchesDoubleSumForEveryRankCountAndSize) {
  for (int n = 1; n <= 8; ++n) {
    for (int64_t len : {int64_t{1}, int64_t{7}, int64_t{n - 1}, int64_t{1000},
                        int64_t{(1 << 20) + 3}}) {
      SCOPED_TRACE(testing::Message() << "n=" << n << " len=" << len);
      Buffers inputs = RandomInputs(n, len, 1000 * n + len);
      Buffers outputs = inputs;
      RingAllreduceOptions options;
      options.average = false;
      options.segment_bytes = 64 << 10;
      RunRing(outputs, options);
      ExpectMatchesExact(inputs, outputs, /*average=*/false);
    }
  }
}

TEST(RingAllreduceTest, AveragesAndHandlesFewerElementsThanRanks) {
  for (int n : {3, 8}) {
    for (int64_t len : {int64_t{2}, int64_t{5}, int64_t{1001}}) {
      SCOPED_TRACE(testing::Message() << "n=" << n << " len=" << len);
      Buffers inputs = RandomInputs(n, len, 7 + len);
      Buffers outputs = inputs;
      RunRing(outputs, RingAllreduceOptions{});
      ExpectMatchesExact(inputs, outputs, /*average=*/true);
    }
  }
}

TEST(RingAllreduceTest, EightRanksWithTinySegmentsDoNotDeadlock) {
  const int n = 8;
  Buffers inputs = RandomInputs(n, 20011, 99);
  Buffers outputs = inputs;
  RingAllreduceOptions options;
  options.segment_bytes = 4;  // one float per frame: ~2,500 segments per chunk in flight
  options.average = false;
  options.stall_timeout = absl::Seconds(20);
  RunRing(outputs, options);
  ExpectMatchesExact(inputs, outputs, /*average=*/false);
}

TEST(RingAllreduceTest, AllRanksEndBitIdenticalAndRunsRepeat) {
  const int n = 5;
  Buffers inputs = RandomInputs(n, 100003, 5);
  Buffers first = inputs, second = inputs;
  RingAllreduceOptions options;
  options.segment_bytes = 4096;
  RunRing(first, options);
  options.segment_bytes = 4096;
  options.step = 1;
  RunRing(second, options);
  for (int r = 0; r < n; ++r) {
    EXPECT_EQ(0, std::memcmp(first[r].data(), first[0].data(), first[0].size() * sizeof(float)))
        << "rank " << r << " differs from rank 0";
    EXPECT_EQ(0, std::memcmp(first[r].data(), second[r].data(), first[r].size() * sizeof(float)))
        << "rank " << r << " differs between runs";
  }
}

TEST(RingAllreduceTest, OneRankIsANoOp) {
  Buffers buffers = RandomInputs(1, 33, 3);
  Buffers before = buffers;
  std::vector<uint64_t> sent = RunRing(buffers, RingAllreduceOptions{});
  EXPECT_EQ(buffers, before);
  EXPECT_EQ(sent[0], 0u);
}

TEST(RingAllreduceTest, BytesSentAreTwoNMinusOneOverNOfTheBuffer) {
  for (int n : {2, 3, 4, 8}) {
    const int64_t len = (1 << 20) + 3;
    const int64_t segment_bytes = 64 << 10;
    Buffers buffers = RandomInputs(n, len, 11);
    RingAllreduceOptions options;
    options.segment_bytes = segment_bytes;
    std::vector<uint64_t> sent = RunRing(buffers, options);
    const double buffer_bytes = len * sizeof(float);
    const double ideal = buffer_bytes * 2 * (n - 1) / n;
    for (int r = 0; r < n; ++r) {
      // Frames: 2(n-1) chunks, each ceil(chunk / segment) of them.
      const int64_t frames = 2 * (n - 1) * ((len / n + 1) * 4 + segment_bytes - 1) / segment_bytes;
      const double payload = sent[r] - frames * comm::kInProcessFrameOverhead;
      EXPECT_NEAR(payload, ideal, segment_bytes) << "n=" << n << " rank " << r;
      EXPECT_LT((sent[r] - payload) / payload, 0.01) << "framing above 1%";
    }
  }
}

// n workers with batch b each (worker i takes slice i of the global batch) train like one replica
// with batch n*b: SGD, a model without dropout, 20 steps.
TEST(RingExchangeTest, RingTrainingEqualsOneReplicaWithTheGlobalBatch) {
  const int n = 4, b = 8, steps = 20, input_dim = 20, classes = 5;
  const float lr = 0.1f;
  auto reference_model = kernels::MakeMlp<float>({16}, input_dim, classes);
  const int64_t size = reference_model->layout().size();
  std::vector<float> initial(size);
  reference_model->Init(42, initial.data());

  // The global batches, from one seeded generator.
  std::vector<std::vector<float>> x(steps, std::vector<float>(n * b * input_dim));
  std::vector<std::vector<int32_t>> y(steps, std::vector<int32_t>(n * b));
  for (int s = 0; s < steps; ++s) {
    const uint64_t key = kernels::StreamKey(7, s);
    for (size_t i = 0; i < x[s].size(); ++i) x[s][i] = kernels::RandomUniform(key, i);
    for (int i = 0; i < n * b; ++i) {
      y[s][i] = static_cast<int32_t>(kernels::RandomBits(key, 1000000 + i) % classes);
    }
  }

  std::vector<float> reference = initial, grads(size);
  auto sgd = kernels::MakeSgd<float>(size, lr);
  for (int s = 0; s < steps; ++s) {
    reference_model->TrainStep(reference.data(), x[s].data(), y[s].data(), n * b, 0, grads.data(),
                               nullptr);
    sgd->Step(reference, grads);
  }

  auto links = comm::MakeInProcessLinks(n);
  std::vector<std::vector<float>> replicas(n, initial);
  std::vector<absl::Status> statuses(n);
  std::vector<StepComm> comms(n);
  OnThreads(n, [&](int r) {
    auto model = kernels::MakeMlp<float>({16}, input_dim, classes);
    RingExchange exchange(links[r].get(), kernels::MakeSgd<float>(size, lr),
                          RingAllreduceOptions{});
    std::vector<float> local_grads(size);
    for (int s = 0; s < steps && statuses[r].ok(); ++s) {
      statuses[r] = exchange.BeginStep(s + 1, replicas[r], &comms[r]);
      model->TrainStep(replicas[r].data(), x[s].data() + r * b * input_dim, y[s].data() + r * b, b,
                       0, local_grads.data(), nullptr);
      if (statuses[r].ok()) {
        statuses[r] = exchange.EndStep(s + 1, local_grads, replicas[r], &comms[r]);
      }
    }
  });
  double diff = 0, norm = 0;
  for (int64_t i = 0; i < size; ++i) {
    diff += std::pow(double{replicas[0][i]} - reference[i], 2);
    norm += std::pow(double{reference[i]}, 2);
  }
  for (int r = 0; r < n; ++r) {
    ASSERT_TRUE(statuses[r].ok()) << statuses[r];
    EXPECT_EQ(replicas[r], replicas[0]) << "replica " << r << " diverged from replica 0";
    EXPECT_GT(comms[r].bytes_sent, 0u);
    EXPECT_GT(comms[r].reduce_s, 0.0);
  }
  EXPECT_LT(std::sqrt(diff / norm), 1e-5);
  EXPECT_NE(replicas[0], initial);
}

}  // namespace
}  // namespace distsim::strategy
