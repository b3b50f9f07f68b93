// `distsim staleness`: the staleness study of Dai et al. (ICLR 2019) on distsim's own kernels.
// Every cell (optimizer, s, n, seed) trains the base model in one process on a StaleServer
// (stale_server.h): n workers take turns round-robin, worker r drawing its batches from its own
// sampler (the base config's data distribution for rank r of n, as a distributed run's worker
// does), each gradient computed on the parameters of d ~ Uniform{0..min(s, t)} updates ago. The
// cell evaluates every eval_every_updates updates on the first eval_examples test examples and
// stops at the first evaluation at or above target_accuracy, or at max_updates; then once more
// on the whole test set. Cells run on `threads` threads; each cell's result depends only on its
// own (config, s, n, seed), never on the threads or the order.
//
// The modelled time of a cell is its updates on the cluster of base (ModelledUpdateSeconds).
#ifndef DISTSIM_SIM_APP_STALENESS_H_
#define DISTSIM_SIM_APP_STALENESS_H_

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "distsim/config.pb.h"
#include "distsim/staleness.pb.h"
#include "sim/data/dataset.h"

namespace distsim::app {

// Test examples gathered once into memory (shared, read-only, by every cell).
struct GatheredSet {
  int64_t size = 0;
  int dim = 0;
  std::vector<float> x;  // dim x size, column-major
  std::vector<int32_t> labels;
};
// `count` examples of `set` spread evenly over it (example floor(i x size / count) for i = 0 ..
// count - 1: every digit and writer, not only the first ones the file holds); 0 or count >= size:
// all of them.
GatheredSet Gather(const data::Dataset& set, int64_t count = 0);

// The modelled seconds between two updates at the server of an ASYNC parameter server with the
// cell's n workers on base's cluster: model::Predict's PS ASYNC step (the mean time between one
// worker's updates, the NICs' cap included: sim/model/cost_model.h) over n, since n workers
// each update once per step:
//   update_s = Predict(PS ASYNC, n workers, 1 dedicated server).step_s / n,
//   step compute = batch x the model's training FLOPs per example / the instance's GEMM speed
//   (the FLOPS clock; `measured_compute_s`, this machine's, when the cluster names no speed).
// A cell's modelled time to the target is updates_to_target x update_s.
double ModelledUpdateSeconds(const RunConfig& cell, double train_flops_per_example,
                             int64_t parameters, double measured_compute_s);

// One cell: `cell` is StalenessCellConfig's RunConfig (its seed is replaced by `seed`), `train`
// the training set, `eval` the examples evaluated every eval_every_updates (Gather(test,
// eval_examples)), `test` the whole test set, evaluated once at the end.
absl::StatusOr<StalenessCell> RunStalenessCell(const StalenessStudyConfig& study,
                                               const RunConfig& cell, uint32_t staleness,
                                               uint64_t seed, const data::Dataset& train,
                                               const GatheredSet& eval, const GatheredSet& test);

// The rows (medians over seeds) and findings of `cells`, filled into `result`.
void SummarizeStaleness(StalenessResult* result);

struct StalenessOptions {
  std::string data_dir;  // the base config's data folder
  std::string out_dir;   // staleness.json, staleness.csv, cells.csv, report.html; "" writes none
  std::FILE* progress = nullptr;            // a line per finished cell
  const std::atomic<bool>* stop = nullptr;  // set: no new cell starts, the study is Cancelled
  std::string command_line;
};

// Runs every cell of `study` (defaults filled, validated) and writes the results.
absl::StatusOr<StalenessResult> RunStalenessStudy(const StalenessStudyConfig& study,
                                                  const StalenessOptions& options);

// staleness.json (the result), staleness.csv (the rows), cells.csv (the cells) and report.html
// into out_dir, each written atomically.
absl::Status WriteStalenessFiles(const StalenessResult& result, const std::string& out_dir);

// The rows as a text table (what the CLI prints).
std::string FormatStaleness(const StalenessResult& result);

}  // namespace distsim::app

#endif  // DISTSIM_SIM_APP_STALENESS_H_
