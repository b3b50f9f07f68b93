#include "sim/data/distribution.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "sim/base/check.h"
#include "sim/base/status.h"
#include "sim/data/random.h"
#include "sim/data/dirichlet.h"
#include "sim/data/sampler.h"

namespace distsim::data {
namespace {

// Salts keep the object cut and the worker streams apart from the epoch orders of the same seed.
constexpr uint64_t kObjectsSalt = 0x4f626a6563747321ULL;   // "Objects!"
constexpr uint64_t kWorkerStride = 0x9e3779b97f4a7c15ULL;  // the golden-ratio increment

// Reads a fixed list of examples (or, with an empty list, 0..n-1) epoch after epoch: each epoch in
// the order EpochPermutation gives over positions, mapped through the list.
class ListSampler final : public WorkerSampler {
 public:
  // `examples` empty means the identity over [0, n). Preconditions: n >= 1, batch >= 1, and
  // examples is empty or holds n entries.
  ListSampler(std::vector<int64_t> examples, int64_t n, int64_t batch, uint64_t seed, bool shuffle)
      : examples_(std::move(examples)), positions_(n, batch, seed, shuffle) {
    DS_CHECK(examples_.empty() || static_cast<int64_t>(examples_.size()) == n);
  }

  void Next(std::span<int64_t> out) override {
    positions_.Next(out);
    if (examples_.empty()) return;
    for (int64_t& slot : out) slot = examples_[slot];
  }
  int64_t batch_size() const override { return positions_.batch_size(); }
  int64_t examples() const override { return positions_.size(); }
  double steps_per_epoch() const override {
    return static_cast<double>(positions_.size()) / positions_.batch_size();
  }
  double epochs_completed() const override { return positions_.epochs_completed(); }

 private:
  std::vector<int64_t> examples_;
  EpochSampler positions_;
};

// GLOBAL_BATCH_SLICE: draws the whole global batch and keeps this worker's slice.
class SliceSampler final : public WorkerSampler {
 public:
  SliceSampler(int64_t n, int worker, int workers, int64_t batch, uint64_t seed, bool shuffle)
      : worker_(worker),
        workers_(workers),
        batch_(batch),
        global_(n, batch * workers, seed, shuffle),
        global_batch_(batch * workers) {}

  void Next(std::span<int64_t> out) override {
    DS_CHECK(static_cast<int64_t>(out.size()) == batch_);
    global_.Next(global_batch_);
    std::copy_n(global_batch_.begin() + worker_ * batch_, batch_, out.begin());
  }
  int64_t batch_size() const override { return batch_; }
  int64_t examples() const override { return (global_.size() + workers_ - 1) / workers_; }
  double steps_per_epoch() const override {
    return static_cast<double>(global_.size()) / global_.batch_size();
  }
  double epochs_completed() const override { return global_.epochs_completed(); }

 private:
  int64_t worker_;
  int64_t workers_;
  int64_t batch_;
  EpochSampler global_;
  std::vector<int64_t> global_batch_;
};

// The checks every entry point shares; `workers`, `worker` and `batch` come from the config or the
// command line, so they are errors, not invariants.
absl::Status CheckArguments(int64_t n, int worker, int workers, int64_t batch) {
  if (n < 1) {
    return absl::InvalidArgumentError(
        "the training set is empty; the dataset (and data.train_limit, if set) must give at least "
        "one example");
  }
  if (workers < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("workers: ", workers, " is out of range; must be >= 1"));
  }
  if (worker < 0 || worker >= workers) {
    return absl::InvalidArgumentError(absl::StrCat("worker rank ", worker,
                                                   " is out of range; must be in [0, ", workers - 1,
                                                   "] for ", workers, " workers"));
  }
  if (batch < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("train.batch_size: ", batch, " is out of range; must be >= 1"));
  }
  return absl::OkStatus();
}

// Objects are made (or, where they play no part, still checked) the same way everywhere, so a
// config is accepted or refused whatever the distribution.
absl::Status CheckObjects(int64_t objects, int64_t n) {
  if (objects >= 1 && objects <= n) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "data.objects: ", objects, " objects cannot be cut from ", n,
      " training examples; must be in [1, ", n, "] (every object holds at least one example)"));
}

absl::Status CheckShardable(const DistributionSpec& spec, int workers) {
  if (spec.distribution != Distribution::kShardedByKey || workers <= spec.objects) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "data.objects: ", spec.objects, " objects cannot feed ", workers,
      " workers under SHARDED_BY_KEY; objects are never split, so data.objects must be >= "
      "workers (",
      workers, "), or run at most ", spec.objects, " workers"));
}

}  // namespace

const char* DistributionName(Distribution distribution) {
  switch (distribution) {
    case Distribution::kFullyReplicated:
      return "FULLY_REPLICATED";
    case Distribution::kShardedByKey:
      return "SHARDED_BY_KEY";
    case Distribution::kGlobalBatchSlice:
      return "GLOBAL_BATCH_SLICE";
  }
  return "?";
}

const char* GroupingName(Grouping grouping) {
  switch (grouping) {
    case Grouping::kShuffled:
      return "SHUFFLED";
    case Grouping::kByLabel:
      return "BY_LABEL";
    case Grouping::kDirichlet:
      return "DIRICHLET";
  }
  return "?";
}

std::vector<int32_t> Labels(const Dataset& dataset) {
  DS_CHECK(dataset.dense());
  std::vector<int32_t> labels(dataset.size());
  for (int64_t i = 0; i < dataset.size(); ++i) labels[i] = dataset.label(i);
  return labels;
}

// Weights: n x w_k / sum(w) each, rounded down, then the examples left over go one each to the
// objects with the largest remainders (ties to the lower index); an object rounded to 0 gets 1,
// taken from the largest.
absl::StatusOr<std::vector<int64_t>> ObjectSizes(int64_t n, const DistributionSpec& spec) {
  DS_RETURN_IF_ERROR(CheckObjects(spec.objects, n));
  const int64_t k = spec.objects;
  std::vector<int64_t> sizes(k, n / k);
  if (spec.object_weights.empty()) {
    for (int64_t i = 0; i < n % k; ++i) ++sizes[i];
    return sizes;
  }
  if (static_cast<int64_t>(spec.object_weights.size()) != k) {
    return absl::InvalidArgumentError(absl::StrCat(
        "data.object_weights: ", spec.object_weights.size(), " weights for ", k,
        " objects; give one weight per object (data.objects), or none for equal sizes"));
  }
  double total = 0;
  for (double w : spec.object_weights) total += w;
  std::vector<double> remainder(k);
  int64_t assigned = 0;
  for (int64_t i = 0; i < k; ++i) {
    const double exact = static_cast<double>(n) * spec.object_weights[i] / total;
    sizes[i] = static_cast<int64_t>(std::floor(exact));
    remainder[i] = exact - static_cast<double>(sizes[i]);
    assigned += sizes[i];
  }
  std::vector<int64_t> by_remainder(k);
  std::iota(by_remainder.begin(), by_remainder.end(), 0);
  std::stable_sort(by_remainder.begin(), by_remainder.end(),
                   [&](int64_t a, int64_t b) { return remainder[a] > remainder[b]; });
  for (int64_t i = 0; assigned < n; ++i, ++assigned) ++sizes[by_remainder[i % k]];
  for (int64_t i = 0; i < k; ++i) {
    if (sizes[i] > 0) continue;
    ++sizes[i];
    --*std::max_element(sizes.begin(), sizes.end());
  }
  return sizes;
}

absl::StatusOr<std::vector<std::vector<int64_t>>> MakeObjects(std::span<const int32_t> labels,
                                                              const DistributionSpec& spec,
                                                              uint64_t seed) {
  const int64_t n = static_cast<int64_t>(labels.size());
  if (n < 1) {
    return absl::InvalidArgumentError(
        "the training set is empty; the dataset (and data.train_limit, if set) must give at least "
        "one example");
  }
  DS_RETURN_IF_ERROR(CheckObjects(spec.objects, n));
  DS_ASSIGN_OR_RETURN(std::vector<int64_t> sizes, ObjectSizes(n, spec));
  const uint64_t object_seed = Mix64(seed ^ kObjectsSalt);
  if (spec.grouping == Grouping::kDirichlet) {
    return DirichletObjects(labels, sizes, spec.dirichlet_alpha, object_seed);
  }
  std::vector<int64_t> order(n);
  if (spec.grouping == Grouping::kShuffled) {
    EpochPermutation(n, object_seed, 0, /*shuffle=*/true, order);
  } else {
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&labels](int64_t a, int64_t b) { return labels[a] < labels[b]; });
  }
  // Object k holds order[start(k) .. start(k) + sizes[k]).
  std::vector<std::vector<int64_t>> result(spec.objects);
  int64_t start = 0;
  for (int64_t k = 0; k < spec.objects; ++k) {
    result[k].assign(order.begin() + start, order.begin() + start + sizes[k]);
    start += sizes[k];
  }
  DS_CHECK(start == n);
  return result;
}

std::vector<int64_t> ExamplesOf(const std::vector<std::vector<int64_t>>& objects,
                                const std::vector<int64_t>& ids) {
  std::vector<int64_t> examples;
  for (int64_t id : ids) {
    examples.insert(examples.end(), objects[id].begin(), objects[id].end());
  }
  return examples;
}

std::vector<int64_t> WorkerObjects(Distribution distribution, int64_t objects, int worker,
                                   int workers) {
  DS_CHECK(workers >= 1 && worker >= 0 && worker < workers && objects >= 1);
  std::vector<int64_t> ids;
  switch (distribution) {
    case Distribution::kFullyReplicated:
      ids.resize(objects);
      std::iota(ids.begin(), ids.end(), 0);
      break;
    case Distribution::kShardedByKey:
      for (int64_t k = worker; k < objects; k += workers) ids.push_back(k);
      break;
    case Distribution::kGlobalBatchSlice:
      break;
  }
  return ids;
}

absl::StatusOr<WorkerEpoch> WorkerEpochOf(const DistributionSpec& spec, int64_t n, int worker,
                                          int workers, int64_t batch) {
  DS_RETURN_IF_ERROR(CheckArguments(n, worker, workers, batch));
  DS_RETURN_IF_ERROR(CheckShardable(spec, workers));
  DS_ASSIGN_OR_RETURN(std::vector<int64_t> sizes, ObjectSizes(n, spec));
  WorkerEpoch epoch;
  if (spec.distribution == Distribution::kGlobalBatchSlice) {
    epoch.examples = (n + workers - 1) / workers;
    epoch.steps = static_cast<double>(n) / static_cast<double>(batch * workers);
    return epoch;
  }
  for (int64_t k : WorkerObjects(spec.distribution, spec.objects, worker, workers)) {
    epoch.examples += sizes[k];
  }
  epoch.steps = static_cast<double>(epoch.examples) / static_cast<double>(batch);
  return epoch;
}

uint64_t WorkerSeed(uint64_t seed, int worker) {
  // EpochPermutation mixes its seed thoroughly, so an additive stride is enough to separate the
  // workers' streams, and worker 0 keeps `seed` itself.
  return seed + static_cast<uint64_t>(worker) * kWorkerStride;
}

std::vector<int64_t> WorkerSampler::Next() {
  std::vector<int64_t> batch(batch_size());
  Next(std::span<int64_t>(batch));
  return batch;
}

absl::StatusOr<std::unique_ptr<WorkerSampler>> MakeWorkerSampler(const DistributionSpec& spec,
                                                                 std::span<const int32_t> labels,
                                                                 int worker, int workers,
                                                                 int64_t batch, uint64_t seed,
                                                                 bool shuffle) {
  const int64_t n = static_cast<int64_t>(labels.size());
  DS_RETURN_IF_ERROR(CheckArguments(n, worker, workers, batch));
  DS_RETURN_IF_ERROR(CheckObjects(spec.objects, n));
  DS_RETURN_IF_ERROR(CheckShardable(spec, workers));
  if (spec.distribution == Distribution::kGlobalBatchSlice) {
    return std::unique_ptr<WorkerSampler>(
        std::make_unique<SliceSampler>(n, worker, workers, batch, seed, shuffle));
  }
  if (spec.distribution == Distribution::kFullyReplicated && shuffle) {
    // Every example, each epoch a fresh permutation of its own: the objects do not matter.
    return std::unique_ptr<WorkerSampler>(
        std::make_unique<ListSampler>(std::vector<int64_t>(), n, batch, WorkerSeed(seed, worker),
                                      /*shuffle=*/true));
  }
  DS_ASSIGN_OR_RETURN(std::vector<std::vector<int64_t>> objects,
                      MakeObjects(labels, spec, seed));
  std::vector<int64_t> examples =
      ExamplesOf(objects, WorkerObjects(spec.distribution, spec.objects, worker, workers));
  const int64_t count = static_cast<int64_t>(examples.size());
  return std::unique_ptr<WorkerSampler>(std::make_unique<ListSampler>(
      std::move(examples), count, batch, WorkerSeed(seed, worker), shuffle));
}

absl::StatusOr<std::unique_ptr<WorkerSampler>> MakeHeldSampler(
    Distribution distribution, const std::vector<std::vector<int64_t>>& held, int worker,
    int workers, int64_t batch, uint64_t seed, bool shuffle) {
  std::vector<int64_t> all(held.size());
  std::iota(all.begin(), all.end(), 0);
  std::vector<int64_t> examples = ExamplesOf(held, all);
  const int64_t n = static_cast<int64_t>(examples.size());
  DS_RETURN_IF_ERROR(CheckArguments(n, worker, workers, batch));
  const bool whole_set = distribution == Distribution::kGlobalBatchSlice ||
                         (distribution == Distribution::kFullyReplicated && shuffle);
  if (whole_set) {
    // These read ids 0..N-1 of the whole set, not the objects: the channel must hold them all.
    int64_t largest = -1;
    for (int64_t id : examples) largest = std::max(largest, id);
    if (largest != n - 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          DistributionName(distribution), " reads the whole training set, but the channel holds ",
          n, " examples with ids up to ", largest, "; it must hold every object"));
    }
  }
  if (distribution == Distribution::kGlobalBatchSlice) {
    return std::unique_ptr<WorkerSampler>(
        std::make_unique<SliceSampler>(n, worker, workers, batch, seed, shuffle));
  }
  if (whole_set) examples.clear();  // the identity over 0..N-1, as MakeWorkerSampler
  return std::unique_ptr<WorkerSampler>(std::make_unique<ListSampler>(
      std::move(examples), n, batch, WorkerSeed(seed, worker), shuffle));
}

absl::StatusOr<std::unique_ptr<WorkerSampler>> MakeWorkerSampler(const DistributionSpec& spec,
                                                                 const Dataset& train, int worker,
                                                                 int workers, int64_t batch,
                                                                 uint64_t seed, bool shuffle) {
  std::vector<int32_t> labels = Labels(train);
  return MakeWorkerSampler(spec, labels, worker, workers, batch, seed, shuffle);
}

}  // namespace distsim::data
