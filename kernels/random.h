// Counter-based random numbers: the value at (key, index) is a pure function of both, so results
// are identical across standard libraries, platforms and call orders (unlike <random>'s
// distributions). Built on splitmix64 (Steele, Lea & Flood 2014), whose finaliser is a bijective
// 64-bit mixer that passes BigCrush.
#ifndef DISTSIM_KERNELS_RANDOM_H_
#define DISTSIM_KERNELS_RANDOM_H_

#include <cmath>
#include <cstdint>

namespace distsim::kernels {

// splitmix64's finaliser: a bijection on 64-bit words with good avalanche.
inline uint64_t Mix64(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Derives an independent stream key from a seed and a stream number (e.g. a tensor's index).
inline uint64_t StreamKey(uint64_t seed, uint64_t stream) {
  return Mix64(Mix64(seed + 0x9e3779b97f4a7c15ULL) ^ (stream * 0xd1b54a32d192ed03ULL + 1));
}

// The 64 random bits at position `index` of stream `key` (the splitmix64 sequence seeded by key).
inline uint64_t RandomBits(uint64_t key, uint64_t index) {
  return Mix64(key + (index + 1) * 0x9e3779b97f4a7c15ULL);
}

// Uniform in [0, 1) with 53 random bits.
inline double RandomUniform(uint64_t key, uint64_t index) {
  return static_cast<double>(RandomBits(key, index) >> 11) * 0x1.0p-53;
}

// Standard normal by Box-Muller from the uniforms at 2*index and 2*index+1.
inline double RandomNormal(uint64_t key, uint64_t index) {
  const double u1 = 1.0 - RandomUniform(key, 2 * index);  // in (0, 1]
  const double u2 = RandomUniform(key, 2 * index + 1);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

}  // namespace distsim::kernels

#endif  // DISTSIM_KERNELS_RANDOM_H_
