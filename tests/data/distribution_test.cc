// Objects, WorkerSampler for the three distributions, and the plan summary.
#include "sim/data/distribution.h"
#include "sim/data/distribution_summary.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/data/sampler.h"

namespace distsim::data {
namespace {

using ::testing::HasSubstr;

// n labels cycling through `classes` classes: 0, 1, ..., classes-1, 0, 1, ...
std::vector<int32_t> CyclicLabels(int64_t n, int classes) {
  std::vector<int32_t> labels(n);
  for (int64_t i = 0; i < n; ++i) labels[i] = static_cast<int32_t>(i % classes);
  return labels;
}

DistributionSpec Spec(Distribution distribution, int64_t objects, Grouping grouping) {
  DistributionSpec spec;
  spec.distribution = distribution;
  spec.objects = objects;
  spec.grouping = grouping;
  return spec;
}

// The object cut of K objects under `grouping`, equal sizes.
DistributionSpec Cut(int64_t objects, Grouping grouping) {
  DistributionSpec spec;
  spec.objects = objects;
  spec.grouping = grouping;
  return spec;
}

std::unique_ptr<WorkerSampler> Make(const DistributionSpec& spec,
                                    const std::vector<int32_t>& labels, int worker, int workers,
                                    int64_t batch, uint64_t seed, bool shuffle = true) {
  absl::StatusOr<std::unique_ptr<WorkerSampler>> sampler =
      MakeWorkerSampler(spec, labels, worker, workers, batch, seed, shuffle);
  EXPECT_TRUE(sampler.ok()) << sampler.status();
  return sampler.ok() ? std::move(*sampler) : nullptr;
}

// The indices of `batches` batches, in order.
std::vector<int64_t> Draw(WorkerSampler& sampler, int64_t batches) {
  std::vector<int64_t> all;
  for (int64_t b = 0; b < batches; ++b) {
    std::vector<int64_t> batch = sampler.Next();
    EXPECT_EQ(static_cast<int64_t>(batch.size()), sampler.batch_size());
    all.insert(all.end(), batch.begin(), batch.end());
  }
  return all;
}

std::vector<int64_t> Sorted(std::vector<int64_t> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::vector<int64_t> Iota(int64_t n) {
  std::vector<int64_t> v(n);
  std::iota(v.begin(), v.end(), 0);
  return v;
}

TEST(MakeObjectsTest, PartitionTheSetExactlyForEveryGrouping) {
  const std::vector<int32_t> labels = CyclicLabels(1003, 10);
  for (Grouping grouping : {Grouping::kShuffled, Grouping::kByLabel, Grouping::kDirichlet}) {
    for (int64_t k : {1, 7, 10, 1003}) {
      absl::StatusOr<std::vector<std::vector<int64_t>>> objects =
          MakeObjects(labels, Cut(k, grouping), 5);
      ASSERT_TRUE(objects.ok()) << objects.status();
      ASSERT_EQ(static_cast<int64_t>(objects->size()), k);
      std::vector<int64_t> all;
      size_t smallest = SIZE_MAX, largest = 0;
      for (const std::vector<int64_t>& object : *objects) {
        all.insert(all.end(), object.begin(), object.end());
        smallest = std::min(smallest, object.size());
        largest = std::max(largest, object.size());
      }
      EXPECT_EQ(Sorted(all), Iota(1003)) << GroupingName(grouping) << " K=" << k;
      EXPECT_LE(largest - smallest, 1u) << GroupingName(grouping) << " K=" << k;
      EXPECT_GE(smallest, 1u);
    }
  }
}

TEST(MakeObjectsTest, ShuffledObjectsAreMixedAndSeeded) {
  const std::vector<int32_t> labels = CyclicLabels(1000, 10);
  std::vector<std::vector<int64_t>> a = *MakeObjects(labels, Cut(10, Grouping::kShuffled), 5);
  std::vector<std::vector<int64_t>> b = *MakeObjects(labels, Cut(10, Grouping::kShuffled), 5);
  std::vector<std::vector<int64_t>> c = *MakeObjects(labels, Cut(10, Grouping::kShuffled), 6);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  // IID: every object holds several classes.
  for (const std::vector<int64_t>& object : a) {
    std::set<int32_t> classes;
    for (int64_t i : object) classes.insert(labels[i]);
    EXPECT_GE(classes.size(), 8u);
  }
}

TEST(MakeObjectsTest, ByLabelObjectsAreLabelPureWhereCountsAllow) {
  // 10 balanced classes of 100 and K = 10: each object is exactly one class, in index order.
  const std::vector<int32_t> labels = CyclicLabels(1000, 10);
  std::vector<std::vector<int64_t>> objects = *MakeObjects(labels, Cut(10, Grouping::kByLabel), 5);
  for (int k = 0; k < 10; ++k) {
    ASSERT_EQ(objects[k].size(), 100u);
    for (int64_t i : objects[k]) EXPECT_EQ(labels[i], k) << "object " << k;
    EXPECT_TRUE(std::is_sorted(objects[k].begin(), objects[k].end()));
  }
  // K = 20: two pure objects per class.
  objects = *MakeObjects(labels, Cut(20, Grouping::kByLabel), 5);
  for (int k = 0; k < 20; ++k) {
    for (int64_t i : objects[k]) EXPECT_EQ(labels[i], k / 2) << "object " << k;
  }
  // The seed plays no part in BY_LABEL.
  EXPECT_EQ(*MakeObjects(labels, Cut(7, Grouping::kByLabel), 1),
            *MakeObjects(labels, Cut(7, Grouping::kByLabel), 2));
}

TEST(MakeObjectsTest, ObjectsOutOfRangeRefused) {
  const std::vector<int32_t> labels = CyclicLabels(5, 2);
  absl::StatusOr<std::vector<std::vector<int64_t>>> objects =
      MakeObjects(labels, Cut(6, Grouping::kShuffled), 1);
  ASSERT_EQ(objects.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(objects.status().message(),
              HasSubstr("data.objects: 6 objects cannot be cut from 5 training examples; must be "
                        "in [1, 5]"));
  EXPECT_EQ(MakeObjects(labels, Cut(0, Grouping::kShuffled), 1).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeObjects({}, Cut(1, Grouping::kShuffled), 1).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(WorkerObjectsTest, RoundRobinForShardedAllForReplicatedNoneForSlice) {
  EXPECT_EQ(WorkerObjects(Distribution::kShardedByKey, 10, 1, 4), (std::vector<int64_t>{1, 5, 9}));
  EXPECT_EQ(WorkerObjects(Distribution::kShardedByKey, 10, 3, 4), (std::vector<int64_t>{3, 7}));
  EXPECT_EQ(WorkerObjects(Distribution::kFullyReplicated, 3, 2, 4),
            (std::vector<int64_t>{0, 1, 2}));
  EXPECT_TRUE(WorkerObjects(Distribution::kGlobalBatchSlice, 10, 0, 4).empty());
}

TEST(ShardedByKeyTest, WorkersAreDisjointAndCoverTheirObjects) {
  const std::vector<int32_t> labels = CyclicLabels(1000, 10);
  const DistributionSpec spec = Spec(Distribution::kShardedByKey, 10, Grouping::kShuffled);
  const int workers = 3;
  std::vector<std::vector<int64_t>> objects = *MakeObjects(labels, Cut(10, Grouping::kShuffled), 9);
  std::vector<int64_t> union_of_workers;
  for (int w = 0; w < workers; ++w) {
    std::unique_ptr<WorkerSampler> sampler = Make(spec, labels, w, workers, 25, 9);
    ASSERT_NE(sampler, nullptr);
    std::vector<int64_t> expected;
    for (int64_t k : WorkerObjects(spec.distribution, 10, w, workers)) {
      expected.insert(expected.end(), objects[k].begin(), objects[k].end());
    }
    ASSERT_EQ(sampler->examples(), static_cast<int64_t>(expected.size()));
    // Whole epochs: draw examples() * 25 indices = 25 epochs, each a permutation of the set.
    std::vector<int64_t> drawn = Draw(*sampler, sampler->examples());
    const int64_t m = sampler->examples();
    for (int e = 0; e < 25; ++e) {
      std::vector<int64_t> epoch(drawn.begin() + e * m, drawn.begin() + (e + 1) * m);
      EXPECT_EQ(Sorted(epoch), Sorted(expected)) << "worker " << w << " epoch " << e;
    }
    EXPECT_DOUBLE_EQ(sampler->epochs_completed(), 25.0);
    union_of_workers.insert(union_of_workers.end(), expected.begin(), expected.end());
  }
  // Disjoint (no index twice) and together the whole set, since K covers every worker.
  EXPECT_EQ(Sorted(union_of_workers), Iota(1000));
}

TEST(ShardedByKeyTest, UnshuffledReadsObjectsInOrder) {
  const std::vector<int32_t> labels = CyclicLabels(100, 10);
  const DistributionSpec spec = Spec(Distribution::kShardedByKey, 10, Grouping::kByLabel);
  std::unique_ptr<WorkerSampler> sampler = Make(spec, labels, 1, 4, 10, 3, /*shuffle=*/false);
  std::vector<std::vector<int64_t>> objects = *MakeObjects(labels, Cut(10, Grouping::kByLabel), 3);
  std::vector<int64_t> expected = objects[1];
  expected.insert(expected.end(), objects[5].begin(), objects[5].end());
  expected.insert(expected.end(), objects[9].begin(), objects[9].end());
  EXPECT_EQ(Draw(*sampler, 3), expected);
  EXPECT_EQ(Draw(*sampler, 3), expected);  // the next epoch, the same order
  // Non-IID: worker 1 sees only classes 1, 5 and 9.
  for (int64_t i : expected) EXPECT_TRUE(labels[i] == 1 || labels[i] == 5 || labels[i] == 9);
}

TEST(ShardedByKeyTest, MoreWorkersThanObjectsRefusedNamingDataObjects) {
  const std::vector<int32_t> labels = CyclicLabels(100, 10);
  const DistributionSpec spec = Spec(Distribution::kShardedByKey, 4, Grouping::kShuffled);
  absl::StatusOr<std::unique_ptr<WorkerSampler>> sampler =
      MakeWorkerSampler(spec, labels, 0, 5, 10, 1, true);
  ASSERT_EQ(sampler.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(sampler.status().message(),
              HasSubstr("data.objects: 4 objects cannot feed 5 workers under SHARDED_BY_KEY"));
  EXPECT_THAT(sampler.status().message(), HasSubstr("workers (5)"));
  // Equal is fine: one object each.
  EXPECT_TRUE(MakeWorkerSampler(spec, labels, 3, 4, 10, 1, true).ok());
}

TEST(FullyReplicatedTest, EveryWorkerCoversAllExamplesEachEpochInItsOwnOrder) {
  const std::vector<int32_t> labels = CyclicLabels(200, 10);
  const DistributionSpec spec = Spec(Distribution::kFullyReplicated, 10, Grouping::kShuffled);
  std::vector<std::vector<int64_t>> first_epochs;
  for (int w = 0; w < 3; ++w) {
    std::unique_ptr<WorkerSampler> sampler = Make(spec, labels, w, 3, 20, 11);
    EXPECT_EQ(sampler->examples(), 200);
    EXPECT_DOUBLE_EQ(sampler->steps_per_epoch(), 10.0);
    for (int e = 0; e < 3; ++e) {
      std::vector<int64_t> epoch = Draw(*sampler, 10);
      EXPECT_EQ(Sorted(epoch), Iota(200)) << "worker " << w << " epoch " << e;
      if (e == 0) first_epochs.push_back(epoch);
    }
  }
  // Workers do not read in lockstep.
  EXPECT_NE(first_epochs[0], first_epochs[1]);
  EXPECT_NE(first_epochs[1], first_epochs[2]);
}

TEST(FullyReplicatedTest, WorkerZeroEqualsEpochSampler) {
  const std::vector<int32_t> labels = CyclicLabels(97, 10);
  const DistributionSpec spec = Spec(Distribution::kFullyReplicated, 10, Grouping::kShuffled);
  std::unique_ptr<WorkerSampler> sampler = Make(spec, labels, 0, 4, 16, 21);
  EpochSampler reference(97, 16, 21);
  for (int step = 0; step < 30; ++step) ASSERT_EQ(sampler->Next(), reference.Next()) << step;
}

TEST(FullyReplicatedTest, UnshuffledEveryWorkerReadsObjectsInOrder) {
  const std::vector<int32_t> labels = CyclicLabels(60, 10);
  const DistributionSpec spec = Spec(Distribution::kFullyReplicated, 6, Grouping::kByLabel);
  std::vector<std::vector<int64_t>> objects = *MakeObjects(labels, Cut(6, Grouping::kByLabel), 4);
  std::vector<int64_t> expected;
  for (const std::vector<int64_t>& object : objects) {
    expected.insert(expected.end(), object.begin(), object.end());
  }
  for (int w = 0; w < 3; ++w) {
    std::unique_ptr<WorkerSampler> sampler = Make(spec, labels, w, 3, 12, 4, /*shuffle=*/false);
    EXPECT_EQ(Draw(*sampler, 5), expected) << "worker " << w;
  }
}

TEST(GlobalBatchSliceTest, SlicesConcatenateToTheGlobalEpochSamplerBatch) {
  const std::vector<int32_t> labels = CyclicLabels(250, 10);  // not a multiple of n * b
  const DistributionSpec spec = Spec(Distribution::kGlobalBatchSlice, 10, Grouping::kByLabel);
  const int workers = 4;
  const int64_t batch = 8;
  std::vector<std::unique_ptr<WorkerSampler>> samplers;
  for (int w = 0; w < workers; ++w) samplers.push_back(Make(spec, labels, w, workers, batch, 13));
  EpochSampler global(250, workers * batch, 13);
  for (int step = 0; step < 40; ++step) {
    std::vector<int64_t> concatenated;
    for (auto& sampler : samplers) {
      std::vector<int64_t> slice = sampler->Next();
      concatenated.insert(concatenated.end(), slice.begin(), slice.end());
    }
    ASSERT_EQ(concatenated, global.Next()) << "step " << step;
  }
  EXPECT_EQ(samplers[0]->examples(), 63);  // ceil(250 / 4)
  EXPECT_DOUBLE_EQ(samplers[0]->steps_per_epoch(), 250.0 / 32);
  EXPECT_DOUBLE_EQ(samplers[3]->epochs_completed(), global.epochs_completed());
}

TEST(GlobalBatchSliceTest, OneWorkerIsExactlyEpochSampler) {
  const std::vector<int32_t> labels = CyclicLabels(101, 10);
  const DistributionSpec spec = Spec(Distribution::kGlobalBatchSlice, 10, Grouping::kShuffled);
  for (bool shuffle : {true, false}) {
    std::unique_ptr<WorkerSampler> sampler = Make(spec, labels, 0, 1, 10, 17, shuffle);
    EpochSampler reference(101, 10, 17, shuffle);
    for (int step = 0; step < 50; ++step) {
      ASSERT_EQ(sampler->Next(), reference.Next()) << "step " << step << " shuffle " << shuffle;
    }
    EXPECT_DOUBLE_EQ(sampler->epochs_completed(), reference.epochs_completed());
  }
}

TEST(WorkerSamplerTest, SameSeedSameBatchesDifferentSeedDifferent) {
  const std::vector<int32_t> labels = CyclicLabels(300, 10);
  for (Distribution d : {Distribution::kFullyReplicated, Distribution::kShardedByKey,
                         Distribution::kGlobalBatchSlice}) {
    const DistributionSpec spec = Spec(d, 10, Grouping::kShuffled);
    std::unique_ptr<WorkerSampler> a = Make(spec, labels, 1, 3, 16, 5);
    std::unique_ptr<WorkerSampler> b = Make(spec, labels, 1, 3, 16, 5);
    std::unique_ptr<WorkerSampler> c = Make(spec, labels, 1, 3, 16, 6);
    std::vector<int64_t> sa = Draw(*a, 30), sb = Draw(*b, 30), sc = Draw(*c, 30);
    EXPECT_EQ(sa, sb) << DistributionName(d);
    EXPECT_NE(sa, sc) << DistributionName(d);
  }
}

// The epoch computed from sizes alone is the sampler's, for every distribution, with unequal
// objects and a worker count that does not divide them.
TEST(WorkerEpochTest, EqualsTheSamplersEpoch) {
  const std::vector<int32_t> labels = CyclicLabels(301, 10);
  for (Distribution d : {Distribution::kFullyReplicated, Distribution::kShardedByKey,
                         Distribution::kGlobalBatchSlice}) {
    DistributionSpec spec = Spec(d, 7, Grouping::kByLabel);
    spec.object_weights = {1, 2, 3, 1, 1, 5, 1};
    for (int w = 0; w < 3; ++w) {
      std::unique_ptr<WorkerSampler> sampler = Make(spec, labels, w, 3, 16, 5);
      absl::StatusOr<WorkerEpoch> epoch = WorkerEpochOf(spec, 301, w, 3, 16);
      ASSERT_TRUE(epoch.ok()) << epoch.status();
      EXPECT_EQ(epoch->examples, sampler->examples()) << DistributionName(d) << " " << w;
      EXPECT_DOUBLE_EQ(epoch->steps, sampler->steps_per_epoch()) << DistributionName(d);
    }
  }
  EXPECT_FALSE(WorkerEpochOf(Spec(Distribution::kShardedByKey, 2, Grouping::kShuffled), 301, 0, 3,
                             16)
                   .ok());
}

TEST(WorkerSamplerTest, BadArgumentsRefused) {
  const std::vector<int32_t> labels = CyclicLabels(100, 10);
  const DistributionSpec spec;
  EXPECT_THAT(MakeWorkerSampler(spec, labels, 4, 4, 10, 1, true).status().message(),
              HasSubstr("worker rank 4 is out of range; must be in [0, 3]"));
  EXPECT_THAT(MakeWorkerSampler(spec, labels, 0, 0, 10, 1, true).status().message(),
              HasSubstr("workers: 0 is out of range"));
  EXPECT_THAT(MakeWorkerSampler(spec, labels, 0, 1, 0, 1, true).status().message(),
              HasSubstr("train.batch_size: 0 is out of range"));
  EXPECT_THAT(MakeWorkerSampler(spec, std::vector<int32_t>(), 0, 1, 1, 1, true).status().message(),
              HasSubstr("the training set is empty"));
  // Objects are checked whatever the distribution.
  const DistributionSpec too_many = Spec(Distribution::kGlobalBatchSlice, 101, Grouping::kShuffled);
  EXPECT_THAT(MakeWorkerSampler(too_many, labels, 0, 1, 1, 1, true).status().message(),
              HasSubstr("data.objects: 101 objects cannot be cut from 100"));
}

TEST(SummarizeDistributionTest, ShowsNonIidShardsPerWorker) {
  const std::vector<int32_t> labels = CyclicLabels(1000, 10);
  const DistributionSpec spec = Spec(Distribution::kShardedByKey, 10, Grouping::kByLabel);
  absl::StatusOr<DistributionSummary> summary =
      SummarizeDistribution(spec, labels, 10, 2, 32, 1, true);
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->examples, 1000);
  EXPECT_EQ(summary->object_sizes, std::vector<int64_t>(10, 100));
  EXPECT_EQ(summary->label_counts, std::vector<int64_t>(10, 100));
  ASSERT_EQ(summary->worker.size(), 2u);
  EXPECT_EQ(summary->worker[0].objects, (std::vector<int64_t>{0, 2, 4, 6, 8}));
  EXPECT_EQ(summary->worker[0].examples, 500);
  EXPECT_EQ(summary->worker[0].label_counts,
            (std::vector<int64_t>{100, 0, 100, 0, 100, 0, 100, 0, 100, 0}));
  EXPECT_EQ(summary->worker[1].label_counts,
            (std::vector<int64_t>{0, 100, 0, 100, 0, 100, 0, 100, 0, 100}));
  const std::string text = FormatDistributionSummary(*summary);
  EXPECT_THAT(text, HasSubstr("1000 examples in 10 objects (100 each), SHARDED_BY_KEY, BY_LABEL"));
  EXPECT_THAT(text, HasSubstr("worker 1: objects 1,3,5,7,9 (5 objects), 500 examples per epoch; "
                              "labels 0:0 1:100 2:0"));
}

TEST(SummarizeDistributionTest, ReplicatedAndSliceCounts) {
  const std::vector<int32_t> labels = CyclicLabels(100, 4);
  DistributionSpec spec = Spec(Distribution::kFullyReplicated, 3, Grouping::kShuffled);
  DistributionSummary summary = *SummarizeDistribution(spec, labels, 4, 2, 8, 1, true);
  EXPECT_EQ(summary.object_sizes, (std::vector<int64_t>{34, 33, 33}));
  for (const WorkerDataSummary& worker : summary.worker) {
    EXPECT_EQ(worker.examples, 100);
    EXPECT_EQ(worker.label_counts, (std::vector<int64_t>{25, 25, 25, 25}));
  }
  spec.distribution = Distribution::kGlobalBatchSlice;
  summary = *SummarizeDistribution(spec, labels, 4, 3, 8, 1, true);
  // 100 = 4 global batches of 24 + 4: worker 0 takes 4*8 + 4, the others 4*8.
  EXPECT_EQ(summary.worker[0].examples, 36);
  EXPECT_EQ(summary.worker[1].examples, 32);
  EXPECT_EQ(summary.worker[2].examples, 32);
  EXPECT_TRUE(summary.worker[0].objects.empty());
  EXPECT_THAT(FormatDistributionSummary(summary), HasSubstr("(33-34 each)"));
  EXPECT_THAT(SummarizeDistribution(Spec(Distribution::kShardedByKey, 3, Grouping::kShuffled), labels,
                                    4, 4, 8, 1, true)
                  .status()
                  .message(),
              HasSubstr("data.objects: 3 objects cannot feed 4 workers"));
}

}  // namespace
}  // namespace distsim::data
