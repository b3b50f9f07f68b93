// A small deterministic PRNG (splitmix64) whose output is the same on every platform and standard
// library. The std:: engines are portable but std::shuffle and the std:: distributions are not
// (libstdc++ and libc++ draw differently), so data order and synthetic data use this instead.
#ifndef DISTSIM_SIM_DATA_RANDOM_H_
#define DISTSIM_SIM_DATA_RANDOM_H_

#include <cstddef>
#include <cstdint>

#include "kernels/random.h"

namespace distsim::data {

// The splitmix64 finaliser (a bijective mix of 64 bits; Steele, Lea, Flood 2014), shared with the
// kernels' counter-based generator.
using kernels::Mix64;

// Word-at-a-time mix of `n` bytes into `h`, the same on every platform (little-endian words).
// Not cryptographic: it names a cache folder, or checks a file for truncation and flipped bits.
inline uint64_t MixBytes(uint64_t h, const uint8_t* bytes, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t word = 0;
    for (int b = 0; b < 8; ++b) word |= uint64_t{bytes[i + b]} << (8 * b);
    h = Mix64(h ^ word) + i;
  }
  uint64_t tail = n;
  for (; i < n; ++i) tail = (tail << 8) | bytes[i];
  return Mix64(h ^ tail);
}

// splitmix64. Not thread-safe (one per thread); copyable, so a stream can be saved and replayed.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    return Mix64(state_);
  }

  // Uniform in [0, bound) without modulo bias (Lemire 2019). Precondition: bound > 0.
  uint64_t Below(uint64_t bound) {
    unsigned __int128 m = static_cast<unsigned __int128>(Next()) * bound;
    uint64_t low = static_cast<uint64_t>(m);
    if (low < bound) {
      const uint64_t threshold = (0 - bound) % bound;
      while (low < threshold) {
        m = static_cast<unsigned __int128>(Next()) * bound;
        low = static_cast<uint64_t>(m);
      }
    }
    return static_cast<uint64_t>(m >> 64);
  }

  // Uniform in [0, 1) with 53 random bits.
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t state_;
};

}  // namespace distsim::data

#endif  // DISTSIM_SIM_DATA_RANDOM_H_
