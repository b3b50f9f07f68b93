// Random classification batches and a small model, shared by the strategy tests.
#ifndef DISTSIM_TESTS_STRATEGY_TEST_DATA_H_
#define DISTSIM_TESTS_STRATEGY_TEST_DATA_H_

#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "kernels/model.h"

namespace distsim::strategy::testdata {

inline constexpr int kInput = 64;
inline constexpr int kClasses = 10;

struct Batch {
  std::vector<float> x;    // kInput x examples, column-major
  std::vector<int32_t> y;  // labels in [0, kClasses)
};

// `examples` random inputs in [0, 1) with random labels, fixed by `seed`.
inline Batch MakeBatch(int examples, uint64_t seed) {
  std::mt19937 rng(static_cast<uint32_t>(seed));
  std::uniform_real_distribution<float> pixel(0.f, 1.f);
  std::uniform_int_distribution<int> label(0, kClasses - 1);
  Batch b;
  b.x.resize(static_cast<size_t>(examples) * kInput);
  for (float& v : b.x) v = pixel(rng);
  for (int i = 0; i < examples; ++i) b.y.push_back(label(rng));
  return b;
}

// An MLP kInput-32-kClasses, or softmax regression.
inline std::unique_ptr<kernels::Model<float>> MakeModel(bool mlp = true) {
  return mlp ? kernels::MakeMlp<float>({32}, kInput, kClasses)
             : kernels::MakeSoftmax<float>(kInput, kClasses);
}

}  // namespace distsim::strategy::testdata

#endif  // DISTSIM_TESTS_STRATEGY_TEST_DATA_H_
