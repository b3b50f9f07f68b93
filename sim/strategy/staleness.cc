#include "sim/strategy/staleness.h"

#include <algorithm>

namespace distsim::strategy {

void StalenessStats::Add(uint64_t staleness) {
  if (histogram_.empty()) histogram_.assign(kBuckets, 0);
  ++histogram_[std::min(staleness, kBuckets - 1)];
  ++count_;
  sum_ += staleness;
  max_ = std::max(max_, staleness);
}

void StalenessStats::Merge(const StalenessStats& other) {
  if (other.count_ == 0) return;
  if (histogram_.empty()) histogram_.assign(kBuckets, 0);
  for (uint64_t i = 0; i < kBuckets; ++i) histogram_[i] += other.histogram_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
}

uint64_t StalenessStats::p99() const {
  if (count_ == 0) return 0;
  // Smallest v with at least ceil(0.99 * count) updates at or below it.
  const uint64_t need = (count_ * 99 + 99) / 100;
  uint64_t seen = 0;
  for (uint64_t v = 0; v < kBuckets; ++v) {
    seen += histogram_[v];
    if (seen >= need) return v == kBuckets - 1 ? max_ : v;
  }
  return max_;
}

}  // namespace distsim::strategy
