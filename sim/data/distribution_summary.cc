#include "sim/data/distribution_summary.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "sim/base/check.h"
#include "sim/base/status.h"
#include "sim/data/sampler.h"

namespace distsim::data {
namespace {

// "0,2,4 (3 objects)"; lists longer than 12 keep the first 10 and say how many there are.
std::string FormatIds(const std::vector<int64_t>& ids) {
  std::string text;
  const size_t shown = ids.size() > 12 ? 10 : ids.size();
  for (size_t i = 0; i < shown; ++i) absl::StrAppend(&text, i == 0 ? "" : ",", ids[i]);
  if (shown < ids.size()) absl::StrAppend(&text, ",...");
  absl::StrAppend(&text, " (", ids.size(), ids.size() == 1 ? " object)" : " objects)");
  return text;
}

std::string FormatCounts(const std::vector<int64_t>& counts) {
  std::string text;
  for (size_t c = 0; c < counts.size(); ++c) {
    absl::StrAppend(&text, c == 0 ? "" : " ", c, ":", counts[c]);
  }
  return text;
}

}  // namespace

std::vector<int64_t> LabelCounts(std::span<const int32_t> labels,
                                 const std::vector<int64_t>& examples, int num_classes) {
  std::vector<int64_t> counts(num_classes, 0);
  for (int64_t i : examples) {
    DS_CHECK(labels[i] >= 0 && labels[i] < num_classes);
    ++counts[labels[i]];
  }
  return counts;
}

double MeanLabelEntropyBits(const std::vector<std::vector<int64_t>>& objects,
                            std::span<const int32_t> labels, int num_classes) {
  if (objects.empty()) return 0;
  double sum = 0;
  for (const std::vector<int64_t>& object : objects) {
    const std::vector<int64_t> counts = LabelCounts(labels, object, num_classes);
    for (int64_t c : counts) {
      if (c == 0) continue;
      const double p = static_cast<double>(c) / static_cast<double>(object.size());
      sum -= p * std::log2(p);
    }
  }
  return sum / static_cast<double>(objects.size());
}

absl::StatusOr<DistributionSummary> SummarizeDistribution(const DistributionSpec& spec,
                                                          std::span<const int32_t> labels,
                                                          int num_classes, int workers,
                                                          int64_t batch, uint64_t seed,
                                                          bool shuffle) {
  const int64_t n = static_cast<int64_t>(labels.size());
  // The sampler of worker 0 checks the arguments as every worker's would.
  DS_RETURN_IF_ERROR(MakeWorkerSampler(spec, labels, 0, workers, batch, seed, shuffle).status());
  if (num_classes < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("num_classes: ", num_classes, " is out of range; must be >= 1"));
  }
  DS_ASSIGN_OR_RETURN(std::vector<std::vector<int64_t>> objects,
                      MakeObjects(labels, spec, seed));

  DistributionSummary summary;
  summary.spec = spec;
  summary.workers = workers;
  summary.examples = n;
  for (const std::vector<int64_t>& object : objects) {
    summary.object_sizes.push_back(static_cast<int64_t>(object.size()));
  }
  std::vector<int64_t> all(n);
  std::iota(all.begin(), all.end(), 0);
  summary.label_counts = LabelCounts(labels, all, num_classes);

  // GLOBAL_BATCH_SLICE: who takes each position of epoch 0's permutation.
  std::vector<std::vector<int64_t>> slices(workers);
  if (spec.distribution == Distribution::kGlobalBatchSlice) {
    std::vector<int64_t> order(n);
    EpochPermutation(n, seed, 0, shuffle, order);
    const int64_t global_batch = batch * workers;
    for (int64_t p = 0; p < n; ++p) slices[(p % global_batch) / batch].push_back(order[p]);
  }
  for (int w = 0; w < workers; ++w) {
    WorkerDataSummary worker;
    worker.worker = w;
    worker.objects = WorkerObjects(spec.distribution, spec.objects, w, workers);
    const std::vector<int64_t> examples = spec.distribution == Distribution::kGlobalBatchSlice
                                              ? std::move(slices[w])
                                              : ExamplesOf(objects, worker.objects);
    worker.examples = static_cast<int64_t>(examples.size());
    worker.label_counts = LabelCounts(labels, examples, num_classes);
    summary.worker.push_back(std::move(worker));
  }
  return summary;
}

std::string FormatDistributionSummary(const DistributionSummary& summary) {
  const auto [smallest, largest] =
      std::minmax_element(summary.object_sizes.begin(), summary.object_sizes.end());
  std::string text = absl::StrCat("data: ", summary.examples, " examples in ",
                                  summary.object_sizes.size(), " objects");
  if (!summary.object_sizes.empty()) {
    if (*smallest == *largest) {
      absl::StrAppend(&text, " (", *smallest, " each)");
    } else {
      absl::StrAppend(&text, " (", *smallest, "-", *largest, " each)");
    }
  }
  absl::StrAppend(&text, ", ", DistributionName(summary.spec.distribution), ", ",
                  GroupingName(summary.spec.grouping), ", ", summary.workers,
                  summary.workers == 1 ? " worker\n" : " workers\n");
  absl::StrAppend(&text, "  all:      labels ", FormatCounts(summary.label_counts), "\n");
  for (const WorkerDataSummary& worker : summary.worker) {
    absl::StrAppend(&text, "  worker ", worker.worker, ": ");
    if (summary.spec.distribution == Distribution::kGlobalBatchSlice) {
      absl::StrAppend(&text, "slices of every global batch");
    } else {
      absl::StrAppend(&text, "objects ", FormatIds(worker.objects));
    }
    absl::StrAppend(&text, ", ", worker.examples, " examples per epoch; labels ",
                    FormatCounts(worker.label_counts), "\n");
  }
  return text;
}

}  // namespace distsim::data
