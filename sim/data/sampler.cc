#include "sim/data/sampler.h"

#include <utility>

#include "sim/base/check.h"
#include "sim/data/random.h"

namespace distsim::data {

void EpochPermutation(int64_t n, uint64_t seed, int64_t epoch, bool shuffle,
                      std::span<int64_t> out) {
  DS_CHECK(n >= 0 && static_cast<int64_t>(out.size()) == n);
  for (int64_t i = 0; i < n; ++i) out[i] = i;
  if (!shuffle) return;
  // The stream depends on (seed, epoch) only; mixing both keeps nearby seeds and epochs apart.
  SplitMix64 rng(Mix64(seed ^ Mix64(static_cast<uint64_t>(epoch) + 0x632be59bd9b4e019ULL)));
  for (int64_t i = n - 1; i > 0; --i) {
    const int64_t j = static_cast<int64_t>(rng.Below(static_cast<uint64_t>(i) + 1));
    std::swap(out[i], out[j]);
  }
}

EpochSampler::EpochSampler(int64_t n, int64_t batch_size, uint64_t seed, bool shuffle)
    : n_(n), batch_size_(batch_size), seed_(seed), shuffle_(shuffle), order_(n > 0 ? n : 0) {
  DS_CHECK(n >= 1);
  DS_CHECK(batch_size >= 1);
  EpochPermutation(n_, seed_, 0, shuffle_, order_);
}

void EpochSampler::Next(std::span<int64_t> out) {
  DS_CHECK(static_cast<int64_t>(out.size()) == batch_size_);
  for (int64_t& slot : out) {
    const int64_t epoch = consumed_ / n_;
    if (epoch != order_epoch_) {
      order_epoch_ = epoch;
      EpochPermutation(n_, seed_, order_epoch_, shuffle_, order_);
    }
    slot = order_[consumed_ % n_];
    ++consumed_;
  }
}

std::vector<int64_t> EpochSampler::Next() {
  std::vector<int64_t> batch(batch_size_);
  Next(std::span<int64_t>(batch));
  return batch;
}

}  // namespace distsim::data
