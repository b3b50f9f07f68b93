// Kernel benchmarks: whole training steps, the GEMM shapes the models use, and the CNN layer by
// layer at batch 64, so one run gives a per-layer table.
//
//   build/bench/kernels_bench --benchmark_filter=TrainStep --benchmark_repetitions=3
//   build/bench/kernels_bench --benchmark_filter='Gemm|CnnLayer'
#include <benchmark/benchmark.h>

#include <Eigen/Core>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kernels/layers.h"
#include "kernels/model.h"
#include "kernels/random.h"

namespace distsim::kernels {
namespace {

std::vector<float> RandomUniformVector(int64_t n, uint64_t seed, float lo = 0.f, float hi = 1.f) {
  std::vector<float> v(n);
  const uint64_t key = StreamKey(seed, 1);
  for (int64_t i = 0; i < n; ++i) v[i] = lo + (hi - lo) * static_cast<float>(RandomUniform(key, i));
  return v;
}

std::unique_ptr<Model<float>> MakeModel(const std::string& which) {
  if (which == "softmax") return MakeSoftmax<float>();
  if (which == "mlp") return MakeMlp<float>({128});
  return MakeCnn<float>(CnnShape{});
}

void BM_TrainStep(benchmark::State& state, const std::string& which) {
  const int batch = static_cast<int>(state.range(0));
  auto model = MakeModel(which);
  const int64_t n = model->layout().size();
  std::vector<float> params(n), grads(n);
  model->Init(1, params.data());
  std::vector<float> x = RandomUniformVector(int64_t{model->input_dim()} * batch, 2);
  std::vector<int32_t> labels(batch);
  for (int i = 0; i < batch; ++i) labels[i] = i % model->num_classes();
  uint64_t step = 0;
  for (auto _ : state) {
    float loss = model->TrainStep(params.data(), x.data(), labels.data(), batch, step++,
                                  grads.data(), nullptr);
    benchmark::DoNotOptimize(loss);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["samples/s"] =
      benchmark::Counter(batch, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GFLOP/s"] = benchmark::Counter(model->TrainFlopsPerExample() * batch * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(model->name());
}
BENCHMARK_CAPTURE(BM_TrainStep, softmax, std::string("softmax"))->Arg(32)->Arg(64)->Arg(128);
BENCHMARK_CAPTURE(BM_TrainStep, mlp, std::string("mlp"))->Arg(32)->Arg(64)->Arg(128);
BENCHMARK_CAPTURE(BM_TrainStep, cnn, std::string("cnn"))
    ->Arg(32)
    ->Arg(64)
    ->Arg(128)
    ->Unit(benchmark::kMillisecond);

// ---- GEMM at the shapes the models use (the exact Eigen expressions of the kernels). ----

using Mat = Eigen::MatrixXf;
using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

void SetGemmCounters(benchmark::State& state, double m, double n, double k) {
  state.counters["GFLOP/s"] =
      benchmark::Counter(2 * m * n * k * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

// C (m x n) = A B with A row-major m x k (weights {out, in}) and B column-major k x n: forward
// of dense and conv layers.
void BM_Gemm_Forward(benchmark::State& state) {
  const int m = state.range(0), n = state.range(1), k = state.range(2);
  RowMat a = RowMat::Random(m, k);
  Mat b = Mat::Random(k, n), c(m, n);
  for (auto _ : state) {
    c.noalias() = a * b;
    benchmark::ClobberMemory();
  }
  SetGemmCounters(state, m, n, k);
}
// C (m x n) = A B^T with A m x k and B n x k column-major: weight gradients (k = batch or pixels).
void BM_Gemm_WeightGrad(benchmark::State& state) {
  const int m = state.range(0), n = state.range(1), k = state.range(2);
  Mat a = Mat::Random(m, k), b = Mat::Random(n, k), c(m, n);
  for (auto _ : state) {
    c.noalias() = a * b.transpose();
    benchmark::ClobberMemory();
  }
  SetGemmCounters(state, m, n, k);
}
// C (m x n) = W^T D with W^T a column-major m x k view of row-major weights: input gradients.
void BM_Gemm_InputGrad(benchmark::State& state) {
  const int m = state.range(0), n = state.range(1), k = state.range(2);
  Mat a = Mat::Random(m, k), b = Mat::Random(k, n), c(m, n);
  for (auto _ : state) {
    c.noalias() = a * b;
    benchmark::ClobberMemory();
  }
  SetGemmCounters(state, m, n, k);
}
// Args are {m, n, k}. Per image for conv (n = pixels), per batch of 64 for dense.
BENCHMARK(BM_Gemm_Forward)
    ->ArgNames({"m", "n", "k"})
    ->Args({32, 784, 25})      // conv1
    ->Args({64, 196, 800})     // conv2
    ->Args({1024, 64, 3136})   // dense1
    ->Args({128, 64, 784})     // mlp fc1
    ->Args({512, 512, 512})    // square reference
    ->Args({64, 12544, 800});  // conv2 with a whole-batch im2col (reference)
BENCHMARK(BM_Gemm_WeightGrad)
    ->ArgNames({"m", "n", "k"})
    ->Args({25, 32, 784})     // conv1 dW^T += col dY^T
    ->Args({800, 64, 196})    // conv2 dW^T += col dY^T
    ->Args({3136, 1024, 64})  // dense1 dW^T = X dY^T
    ->Args({784, 128, 64});   // mlp fc1
BENCHMARK(BM_Gemm_InputGrad)
    ->ArgNames({"m", "n", "k"})
    ->Args({800, 196, 64})    // conv2 dcol = W^T dY
    ->Args({3136, 64, 1024})  // dense1 dX = W^T dY
    ->Args({128, 64, 10});    // mlp fc2

// ---- The CNN layer by layer at batch 64 (28x28, 32/64 channels, dense 1024). ----

constexpr int kBatch = 64;

struct CnnBench {
  ConvShape conv1{28, 28, 1, 32, 5};
  ConvShape conv2{14, 14, 32, 64, 5};
  int64_t flat = 7 * 7 * 64;
  int dense = 1024, classes = 10;
  std::vector<float> x = RandomUniformVector(784 * kBatch, 3);
  std::vector<float> w1 = RandomUniformVector(conv1.weight_size(), 4, -0.2f, 0.2f);
  std::vector<float> w2 = RandomUniformVector(conv2.weight_size(), 5, -0.05f, 0.05f);
  std::vector<float> w3 = RandomUniformVector(flat * dense, 6, -0.02f, 0.02f);
  std::vector<float> w4 = RandomUniformVector(int64_t{dense} * classes, 7, -0.05f, 0.05f);
  std::vector<float> b = std::vector<float>(dense, 0.01f);
  std::vector<float> col = std::vector<float>(conv2.col_size());
  std::vector<float> y1 = RandomUniformVector(28 * 28 * 32, 8, -1, 1);
  std::vector<float> p1 = RandomUniformVector(14 * 14 * 32 * kBatch, 9, -1, 1);
  std::vector<float> y2 = RandomUniformVector(14 * 14 * 64, 10, -1, 1);
  std::vector<float> a2 = RandomUniformVector(flat * kBatch, 11, 0, 1);
  std::vector<float> h = RandomUniformVector(int64_t{dense} * kBatch, 12, 0, 1);
  std::vector<float> dh = RandomUniformVector(int64_t{dense} * kBatch, 13, -1, 1);
  std::vector<float> da2 = std::vector<float>(flat * kBatch);
  std::vector<float> logits = RandomUniformVector(int64_t{classes} * kBatch, 14, -1, 1);
  std::vector<float> dlogits = std::vector<float>(int64_t{classes} * kBatch);
  std::vector<float> dw = std::vector<float>(flat * dense);
  std::vector<float> db = std::vector<float>(dense);
  std::vector<float> dp1 = std::vector<float>(14 * 14 * 32);
  std::vector<int32_t> am1 = std::vector<int32_t>(14 * 14 * 32 * kBatch);
  std::vector<int32_t> am2 = std::vector<int32_t>(flat * kBatch);
  std::vector<int32_t> labels = std::vector<int32_t>(kBatch, 3);
};

void BM_CnnLayer(benchmark::State& state, const std::string& layer) {
  CnnBench c;
  double flops = 0;                   // per batch
  for (int s = 0; s < kBatch; ++s) {  // valid argmax indices for the backward benchmarks
    MaxPool2x2Forward(28, 28, 32, c.y1.data(), c.dp1.data(), c.am1.data() + s * 14 * 14 * 32);
    MaxPool2x2Forward(14, 14, 64, c.y2.data(), c.da2.data(), c.am2.data() + s * c.flat);
  }
  for (auto _ : state) {
    if (layer == "conv1_fwd") {
      for (int s = 0; s < kBatch; ++s)
        Conv2dForward(c.conv1, c.w1.data(), c.b.data(), c.x.data() + s * 784, c.col.data(),
                      c.y1.data());
      flops = 2.0 * 784 * 25 * 32 * kBatch;
    } else if (layer == "conv1_im2col") {
      for (int s = 0; s < kBatch; ++s) Im2Col(c.conv1, c.x.data() + s * 784, c.col.data());
    } else if (layer == "pool1_relu_fwd") {
      for (int s = 0; s < kBatch; ++s) {
        float* p = c.p1.data() + s * 6272;
        MaxPool2x2Forward(28, 28, 32, c.y1.data(), p, c.am1.data() + s * 6272);
        ReluForward(p, 6272, p);
      }
    } else if (layer == "conv2_im2col") {
      for (int s = 0; s < kBatch; ++s) Im2Col(c.conv2, c.p1.data() + s * 6272, c.col.data());
    } else if (layer == "conv2_fwd") {
      for (int s = 0; s < kBatch; ++s)
        Conv2dForward(c.conv2, c.w2.data(), c.b.data(), c.p1.data() + s * 6272, c.col.data(),
                      c.y2.data());
      flops = 2.0 * 196 * 800 * 64 * kBatch;
    } else if (layer == "pool2_relu_fwd") {
      for (int s = 0; s < kBatch; ++s) {
        float* a = c.a2.data() + s * c.flat;
        MaxPool2x2Forward(14, 14, 64, c.y2.data(), a, c.am2.data() + s * c.flat);
        ReluForward(a, c.flat, a);
      }
    } else if (layer == "dense1_relu_fwd") {
      DenseForward(c.w3.data(), c.b.data(), c.a2.data(), c.flat, c.dense, kBatch, c.h.data());
      ReluForward(c.h.data(), int64_t{c.dense} * kBatch, c.h.data());
      flops = 2.0 * c.flat * c.dense * kBatch;
    } else if (layer == "dense2_fwd") {
      DenseForward(c.w4.data(), c.b.data(), c.h.data(), c.dense, c.classes, kBatch,
                   c.logits.data());
      flops = 2.0 * c.dense * c.classes * kBatch;
    } else if (layer == "softmax_xent") {
      benchmark::DoNotOptimize(SoftmaxCrossEntropy(c.logits.data(), c.labels.data(), c.classes,
                                                   kBatch, c.dlogits.data(), nullptr));
    } else if (layer == "dense2_bwd") {
      DenseBackward(c.w4.data(), c.h.data(), c.dlogits.data(), c.dense, c.classes, kBatch,
                    c.dw.data(), c.db.data(), c.dh.data());
      flops = 4.0 * c.dense * c.classes * kBatch;
    } else if (layer == "dense1_bwd") {
      ReluBackward(c.h.data(), c.dh.data(), int64_t{c.dense} * kBatch, c.dh.data());
      DenseBackward(c.w3.data(), c.a2.data(), c.dh.data(), c.flat, c.dense, kBatch, c.dw.data(),
                    c.db.data(), c.da2.data());
      flops = 4.0 * c.flat * c.dense * kBatch;
    } else if (layer == "relu_pool2_bwd") {
      for (int s = 0; s < kBatch; ++s) {
        float* d = c.da2.data() + s * c.flat;
        ReluBackward(c.a2.data() + s * c.flat, d, c.flat, d);
        MaxPool2x2Backward(14, 14, 64, d, c.am2.data() + s * c.flat, c.y2.data());
      }
    } else if (layer == "conv2_bwd") {
      for (int s = 0; s < kBatch; ++s)
        Conv2dBackward(c.conv2, c.w2.data(), c.p1.data() + s * 6272, c.y2.data(), c.col.data(),
                       c.dw.data(), c.db.data(), c.dp1.data());
      flops = 4.0 * 196 * 800 * 64 * kBatch;
    } else if (layer == "relu_pool1_bwd") {
      for (int s = 0; s < kBatch; ++s) {
        ReluBackward(c.p1.data() + s * 6272, c.dp1.data(), 6272, c.dp1.data());
        MaxPool2x2Backward(28, 28, 32, c.dp1.data(), c.am1.data() + s * 6272, c.y1.data());
      }
    } else if (layer == "conv1_bwd") {
      for (int s = 0; s < kBatch; ++s)
        Conv2dBackward(c.conv1, c.w1.data(), c.x.data() + s * 784, c.y1.data(), c.col.data(),
                       c.dw.data(), c.db.data(), static_cast<float*>(nullptr));
      flops = 2.0 * 784 * 25 * 32 * kBatch;
    }
    benchmark::ClobberMemory();
  }
  if (flops > 0) {
    state.counters["GFLOP/s"] =
        benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  }
}
// Time is per batch of 64 images, in microseconds.
#define DSK_CNN_LAYER(name) \
  BENCHMARK_CAPTURE(BM_CnnLayer, name, std::string(#name))->Unit(benchmark::kMicrosecond)
DSK_CNN_LAYER(conv1_im2col);
DSK_CNN_LAYER(conv1_fwd);
DSK_CNN_LAYER(pool1_relu_fwd);
DSK_CNN_LAYER(conv2_im2col);
DSK_CNN_LAYER(conv2_fwd);
DSK_CNN_LAYER(pool2_relu_fwd);
DSK_CNN_LAYER(dense1_relu_fwd);
DSK_CNN_LAYER(dense2_fwd);
DSK_CNN_LAYER(softmax_xent);
DSK_CNN_LAYER(dense2_bwd);
DSK_CNN_LAYER(dense1_bwd);
DSK_CNN_LAYER(relu_pool2_bwd);
DSK_CNN_LAYER(conv2_bwd);
DSK_CNN_LAYER(relu_pool1_bwd);
DSK_CNN_LAYER(conv1_bwd);

}  // namespace
}  // namespace distsim::kernels

BENCHMARK_MAIN();
