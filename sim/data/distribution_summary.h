// Who reads what: the summary of a data distribution that `distsim plan` prints and the report
// charts (object sizes, each worker's objects and label histogram).
#ifndef DISTSIM_SIM_DATA_DISTRIBUTION_SUMMARY_H_
#define DISTSIM_SIM_DATA_DISTRIBUTION_SUMMARY_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sim/data/distribution.h"

namespace distsim::data {

// What `distsim plan` shows about the data: who reads what.
struct WorkerDataSummary {
  int worker = 0;
  std::vector<int64_t> objects;  // object ids read (empty for GLOBAL_BATCH_SLICE)
  int64_t examples = 0;          // examples read in the first epoch (one pass of its data)
  // label_counts[c]: examples of class c among those read in the first epoch. For
  // GLOBAL_BATCH_SLICE these are the examples the worker's slices take from epoch 0's permutation.
  std::vector<int64_t> label_counts;
};
struct DistributionSummary {
  DistributionSpec spec;
  int workers = 0;
  int64_t examples = 0;                   // N
  std::vector<int64_t> object_sizes;      // size of each of the K objects
  std::vector<int64_t> label_counts;      // class histogram of the whole set
  std::vector<WorkerDataSummary> worker;  // one per worker, in rank order
};

// Summarises the distribution of `labels` (classes in [0, num_classes)) over `workers` workers
// with `batch` examples per worker per step. Errors as MakeWorkerSampler. Cost O(N log N).
absl::StatusOr<DistributionSummary> SummarizeDistribution(const DistributionSpec& spec,
                                                          std::span<const int32_t> labels,
                                                          int num_classes, int workers,
                                                          int64_t batch, uint64_t seed,
                                                          bool shuffle);

// Histogram of the labels of examples `ids` over [0, num_classes) (labels out of range are a bug
// of the caller, checked).
std::vector<int64_t> LabelCounts(std::span<const int32_t> labels, const std::vector<int64_t>& ids,
                                 int num_classes);

// The mean over `objects` of the Shannon entropy of each object's labels, in bits: log2(classes)
// for objects holding every class equally, 0 for single-class objects.
double MeanLabelEntropyBits(const std::vector<std::vector<int64_t>>& objects,
                            std::span<const int32_t> labels, int num_classes);

// A few lines of text for a terminal, e.g.
//   data: 60000 examples in 10 objects (5999-6001 each), SHARDED_BY_KEY, BY_LABEL
//     worker 0: objects 0,2,4,6,8 (5 objects), 30000 examples; labels 0:5923 1:0 2:5958 ...
// Long object lists are abbreviated. Every line ends with '\n'.
std::string FormatDistributionSummary(const DistributionSummary& summary);

}  // namespace distsim::data

#endif  // DISTSIM_SIM_DATA_DISTRIBUTION_SUMMARY_H_
