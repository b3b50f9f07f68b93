// Helpers shared by the model implementations. Internal to kernels/.
#ifndef DISTSIM_KERNELS_MODEL_UTIL_H_
#define DISTSIM_KERNELS_MODEL_UTIL_H_

#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/random.h"

namespace distsim::kernels {

// Fan-in/out limits of the uniform initialisers: He for layers followed by ReLU, Glorot for the
// logits layer.
inline double HeUniformLimit(int64_t fan_in) {
  return std::sqrt(6.0 / static_cast<double>(fan_in));
}
inline double GlorotUniformLimit(int64_t fan_in, int64_t fan_out) {
  return std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
}

// out[i] = uniform(-limit, limit) drawn in double from stream (seed, stream) at index i, then
// rounded to T, so the float and double initialisations agree to float precision.
template <typename T>
void FillUniform(uint64_t seed, uint64_t stream, double limit, int64_t n, T* out) {
  const uint64_t key = StreamKey(seed, stream);
  for (int64_t i = 0; i < n; ++i) {
    out[i] = static_cast<T>((2.0 * RandomUniform(key, static_cast<uint64_t>(i)) - 1.0) * limit);
  }
}

// Grows v to at least n elements (never shrinks: steady-state steps do not allocate).
template <typename V>
auto* Grow(V& v, int64_t n) {
  if (static_cast<int64_t>(v.size()) < n) v.resize(static_cast<size_t>(n));
  return v.data();
}

// Evaluate() processes at most this many examples per forward pass, bounding scratch.
inline constexpr int kEvalChunk = 256;

}  // namespace distsim::kernels

#endif  // DISTSIM_KERNELS_MODEL_UTIL_H_
