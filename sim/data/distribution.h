// How the training set reaches the workers (docs/architecture.md, "Data"): objects, sharding,
// slicing.
//
// The training set of N examples is first cut into K objects (like the S3 keys of a SageMaker
// channel), each a list of example indices. Then each worker gets a WorkerSampler that hands out
// its batches under one of three distributions:
//   FULLY_REPLICATED    every worker reads all K objects, in its own seeded order;
//   SHARDED_BY_KEY      worker i reads objects i, i+n, i+2n, ... (objects are never split);
//   GLOBAL_BATCH_SLICE  one seeded permutation of the whole set per epoch, shared by every worker;
//                       at each step worker i takes slice i of the global batch of n*b examples
//                       (PyTorch's DistributedSampler).
//
// This layer knows nothing of the config proto: the caller (sim/node) translates DataConfig and
// TrainConfig into the plain types below. Every function is deterministic: the same arguments give
// the same objects, orders and batches in every process and on every machine.
#ifndef DISTSIM_SIM_DATA_DISTRIBUTION_H_
#define DISTSIM_SIM_DATA_DISTRIBUTION_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sim/data/dataset.h"

namespace distsim::data {

// Mirrors distsim.DataConfig.Distribution (without UNSPECIFIED: the caller applies the default).
enum class Distribution { kFullyReplicated, kShardedByKey, kGlobalBatchSlice };
// Mirrors distsim.DataConfig.Grouping.
enum class Grouping { kShuffled, kByLabel, kDirichlet };

// The config's spelling: "FULLY_REPLICATED", "SHARDED_BY_KEY", "GLOBAL_BATCH_SLICE"; "SHUFFLED",
// "BY_LABEL", "DIRICHLET".
const char* DistributionName(Distribution distribution);
const char* GroupingName(Grouping grouping);

// The data part of a run's config.
struct DistributionSpec {
  Distribution distribution = Distribution::kFullyReplicated;
  int64_t objects = 10;  // K, >= 1 and at most the number of training examples
  Grouping grouping = Grouping::kShuffled;
  double dirichlet_alpha = 1.0;        // kDirichlet's concentration, > 0
  std::vector<double> object_weights;  // relative object sizes (K of them, > 0); empty: equal
};

// The labels of every example of `dataset`, in order (a copy: N bytes widened to int32).
// Precondition: dataset.dense() (ids 0..N-1), checked.
std::vector<int32_t> Labels(const Dataset& dataset);

// Cuts N = labels.size() examples into spec.objects (K) lists of example indices that together
// hold every index in [0, N) exactly once, seeded by `seed`:
//   kShuffled   a seeded permutation of 0..N-1 (independent of the epoch orders of sampler.h) cut
//               into K contiguous pieces: IID objects;
//   kByLabel    0..N-1 stably sorted by label (so ascending index within a label), cut into K
//               contiguous pieces: non-IID objects (with K = 10 and 10 balanced classes, each
//               object is about one class);
//   kDirichlet  each object's label mix drawn from Dirichlet(alpha x class shares) (dirichlet.h):
//               alpha 100 is nearly IID, 1 mildly skewed, 0.1 nearly one class per object.
// Sizes: without object_weights they differ by at most one, the first N mod K objects being the
// larger ones; with weights they follow the weights (each at least 1 example).
// InvalidArgument (naming data.objects or data.object_weights) if objects < 1 or objects > N, if
// N is 0, or if the weights are not one per object.
absl::StatusOr<std::vector<std::vector<int64_t>>> MakeObjects(std::span<const int32_t> labels,
                                                              const DistributionSpec& spec,
                                                              uint64_t seed);

// The number of examples in each of spec.objects objects cut from n examples, as MakeObjects cuts
// them (sizes do not depend on the labels). Errors as MakeObjects.
absl::StatusOr<std::vector<int64_t>> ObjectSizes(int64_t n, const DistributionSpec& spec);

// The objects worker `worker` of `workers` reads: all of 0..K-1 for kFullyReplicated,
// worker, worker + workers, ... for kShardedByKey, none for kGlobalBatchSlice (it reads slices of
// the whole set, not objects). Preconditions (checked): 0 <= worker < workers, objects >= 1.
std::vector<int64_t> WorkerObjects(Distribution distribution, int64_t objects, int worker,
                                   int workers);

// The examples of objects `ids` (indices into `objects`), concatenated in the order of `ids`.
std::vector<int64_t> ExamplesOf(const std::vector<std::vector<int64_t>>& objects,
                                const std::vector<int64_t>& ids);

// What one worker's epoch is, from the sizes alone (no labels needed): the examples() and
// steps_per_epoch() of the worker's sampler (MakeWorkerSampler) over n examples. Errors as
// MakeWorkerSampler.
struct WorkerEpoch {
  int64_t examples = 0;
  double steps = 0;
};
absl::StatusOr<WorkerEpoch> WorkerEpochOf(const DistributionSpec& spec, int64_t n, int worker,
                                          int workers, int64_t batch);

// The seed of worker `worker`'s private orders (FULLY_REPLICATED and SHARDED_BY_KEY): `seed` itself
// for worker 0, a different stream for every other worker, so that replicated workers do not read
// in lockstep and a one-worker run reads exactly what EpochSampler(N, b, seed) reads.
uint64_t WorkerSeed(uint64_t seed, int worker);

// Hands one worker its batches of example indices, epoch after epoch.
//
// A worker's epoch is one pass over the examples it reads: all N (replicated), those of its objects
// (sharded) or, for GLOBAL_BATCH_SLICE, its share of one pass of the global sampler over all N.
// Batches never shrink; like EpochSampler, a batch at the end of an epoch is completed with the
// start of the next epoch's order.
//
// Not thread-safe: one sampler per consumer. Memory: O(N) indices.
class WorkerSampler {
 public:
  virtual ~WorkerSampler() = default;

  // Fills `out` (out.size() must equal batch_size(), checked) with the next batch.
  virtual void Next(std::span<int64_t> out) = 0;
  // The next batch as a new vector.
  std::vector<int64_t> Next();

  virtual int64_t batch_size() const = 0;
  // Examples this worker reads per epoch: N (replicated), the size of its objects (sharded),
  // N / workers rounded up (global batch slice; exact when workers * batch divides N).
  virtual int64_t examples() const = 0;
  // Steps (batches) per epoch, fractional: examples() / batch_size(), except for GLOBAL_BATCH_SLICE
  // where it is N / (workers * batch_size()) exactly. `epochs` epochs take
  // ceil(epochs * steps_per_epoch()) steps.
  virtual double steps_per_epoch() const = 0;
  // Epochs completed so far, fractional: batches drawn / steps_per_epoch().
  virtual double epochs_completed() const = 0;
};

// Builds the sampler of worker `worker` (0-based) of `workers`, drawing `batch` indices per step
// into the training set whose labels are `labels` (N = labels.size()).
//   kFullyReplicated: shuffle true: each epoch a seeded permutation of all N examples, seeded from
//     WorkerSeed(seed, worker) (worker 0 equals EpochSampler(N, batch, seed) exactly). shuffle
//     false: every worker reads objects 0..K-1 in order, each object's examples in order, every
//     epoch (SageMaker's legacy MNIST job: all workers read the same fixed sequence).
//   kShardedByKey: the worker's examples are those of WorkerObjects(...), concatenated in object
//     order; shuffle true: each epoch a seeded permutation of them (seed WorkerSeed(seed, worker));
//     false: in that order. workers > K is InvalidArgument naming data.objects and workers.
//   kGlobalBatchSlice: the batches of EpochSampler(N, workers * batch, seed, shuffle), of which
//     this worker keeps entries [worker * batch, (worker + 1) * batch). Objects play no part. With
//     workers == 1 it is EpochSampler(N, batch, seed, shuffle) exactly, so synchronous training on
//     n workers is one worker with n * batch.
// InvalidArgument (naming the field or argument and its allowed range) if workers < 1, worker not
// in [0, workers), batch < 1, N == 0, or spec.objects not in [1, N] (checked whatever the
// distribution, so that a config is accepted or refused alike, although GLOBAL_BATCH_SLICE and
// shuffled FULLY_REPLICATED do not use the objects).
absl::StatusOr<std::unique_ptr<WorkerSampler>> MakeWorkerSampler(const DistributionSpec& spec,
                                                                 std::span<const int32_t> labels,
                                                                 int worker, int workers,
                                                                 int64_t batch, uint64_t seed,
                                                                 bool shuffle);
// The same, with the labels read from `train`.
absl::StatusOr<std::unique_ptr<WorkerSampler>> MakeWorkerSampler(const DistributionSpec& spec,
                                                                 const Dataset& train, int worker,
                                                                 int workers, int64_t batch,
                                                                 uint64_t seed, bool shuffle);

// The sampler of worker `worker` of `workers` that holds only the objects `held` (each object's
// example ids, in key order): its channel. It gives the batches MakeWorkerSampler gives when
// `held` are the objects WorkerObjects names for the worker: all K under FULLY_REPLICATED and
// GLOBAL_BATCH_SLICE, whose ids must then be exactly 0..N-1 (InvalidArgument naming the channel's
// count otherwise); under SHARDED_BY_KEY the objects held are read as they are, whichever keys.
// Errors for workers, worker and batch as MakeWorkerSampler.
absl::StatusOr<std::unique_ptr<WorkerSampler>> MakeHeldSampler(
    Distribution distribution, const std::vector<std::vector<int64_t>>& held, int worker,
    int workers, int64_t batch, uint64_t seed, bool shuffle);

}  // namespace distsim::data

#endif  // DISTSIM_SIM_DATA_DISTRIBUTION_H_
