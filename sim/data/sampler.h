// Batches of example indices, epoch after epoch, in a seeded order that is the same on every
// machine.
#ifndef DISTSIM_SIM_DATA_SAMPLER_H_
#define DISTSIM_SIM_DATA_SAMPLER_H_

#include <cstdint>
#include <span>
#include <vector>

namespace distsim::data {

// Writes the order of epoch `epoch` over n examples into `out` (out.size() == n): 0..n-1 when
// `shuffle` is false, otherwise a Fisher-Yates permutation driven by a splitmix64 stream seeded
// from (seed, epoch) alone. Any process can therefore compute any epoch's order without replaying
// the earlier ones, and every process computes the same one (GLOBAL_BATCH_SLICE relies on this).
void EpochPermutation(int64_t n, uint64_t seed, int64_t epoch, bool shuffle,
                      std::span<int64_t> out);

// Hands out batches of exactly batch_size indices into a dataset of n examples.
//
// The examples are visited epoch after epoch, each epoch in the order EpochPermutation(n, seed,
// epoch, shuffle) gives, so every example is seen exactly once per epoch. Batches never shrink:
// when an epoch has fewer than batch_size examples left, the batch takes them and is completed
// with the first examples of the next epoch's order (and so on, if batch_size > n). Nothing is
// dropped or repeated within an epoch; a batch straddling a boundary may contain an index twice
// (once from each epoch) only when it spans the end of one epoch and the start of the next.
//
// The same (n, batch_size, seed, shuffle) gives the same sequence of batches on every machine.
// For PyTorch-DistributedSampler-style slicing, draw a global batch of n_workers * b and let
// worker i take slice i.
//
// Not thread-safe: one sampler per consumer. Memory: n indices.
class EpochSampler {
 public:
  // Preconditions (checked): n >= 1, batch_size >= 1.
  EpochSampler(int64_t n, int64_t batch_size, uint64_t seed, bool shuffle = true);

  // Fills `out` (out.size() must equal batch_size(), checked) with the next batch.
  void Next(std::span<int64_t> out);
  // The next batch as a new vector.
  std::vector<int64_t> Next();

  int64_t size() const { return n_; }
  int64_t batch_size() const { return batch_size_; }
  // The epoch (0-based) the next index handed out belongs to: examples_consumed() / size().
  int64_t epoch() const { return consumed_ / n_; }
  // Indices handed out so far (batches_drawn() * batch_size()).
  int64_t examples_consumed() const { return consumed_; }
  int64_t batches_drawn() const { return consumed_ / batch_size_; }
  // Fractional epochs completed: examples_consumed() / size().
  double epochs_completed() const { return static_cast<double>(consumed_) / n_; }

 private:
  int64_t n_;
  int64_t batch_size_;
  uint64_t seed_;
  bool shuffle_;
  int64_t consumed_ = 0;
  int64_t order_epoch_ = 0;  // the epoch whose order `order_` holds
  std::vector<int64_t> order_;
};

}  // namespace distsim::data

#endif  // DISTSIM_SIM_DATA_SAMPLER_H_
