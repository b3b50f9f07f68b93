// How stale the updates a parameter server applied were: the number of updates applied to the
// shard between the version a worker pulled and the one its push was applied to.
#ifndef DISTSIM_SIM_STRATEGY_STALENESS_H_
#define DISTSIM_SIM_STRATEGY_STALENESS_H_

#include <cstdint>
#include <vector>

namespace distsim::strategy {

// Staleness values of applied updates: count, mean, p99, max. Mergeable (for the overall figure).
class StalenessStats {
 public:
  void Add(uint64_t staleness);
  void Merge(const StalenessStats& other);
  uint64_t count() const { return count_; }
  double mean() const { return count_ == 0 ? 0.0 : static_cast<double>(sum_) / count_; }
  uint64_t max() const { return max_; }
  // The smallest value v such that at least 99% of the updates had staleness <= v.
  uint64_t p99() const;

 private:
  static constexpr uint64_t kBuckets = 4096;  // exact below this; larger values share the last
  std::vector<uint64_t> histogram_;
  uint64_t count_ = 0, sum_ = 0, max_ = 0;
};

}  // namespace distsim::strategy

#endif  // DISTSIM_SIM_STRATEGY_STALENESS_H_
