// `distsim predict`: the alpha-beta cost model (sim/model) fitted on a short calibration run,
// used two ways:
//  * at scale: step time, samples/s, scaling efficiency and cost per epoch of 1 .. 256 workers
//    on the configured instance and network, for the ring and the parameter server (where the
//    server's NIC becomes the bottleneck and the ring's does not);
//  * held out: runs this machine can carry (more workers, another model, another bandwidth) are
//    predicted first, then run, and the predicted step time is set beside the measured one.
//
// Calibration: the calibration run gives the compute cost per sample (thread CPU time, so this
// machine's speed on this model) and the data time; a link probe sends messages of several sizes
// over the calibration run's network, shaped as the run's traffic was (node::ProbeLink,
// sim/node/link_probe.h), and FitAlphaBeta turns them into alpha and beta.
// Compute of another model = the calibrated speed (FLOP/s) x that model's training FLOPs. The
// network of another config = the measured per-message overhead and efficiency, applied to that
// config's latency and bandwidth. On this machine, n workers sharing fewer cores compute
// n / cores times slower, and the prediction says so.
#ifndef DISTSIM_SIM_APP_PREDICT_H_
#define DISTSIM_SIM_APP_PREDICT_H_

#include <atomic>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "distsim/config.pb.h"
#include "distsim/result.pb.h"
#include "sim/app/predict_model.h"
#include "sim/app/predict_repeats.h"

namespace distsim::app {

struct PredictOptions {
  std::string out_dir;  // out/<name>: predict.json, .csv, .txt, .html, and run folders
  std::function<std::string(const RunConfig&)> data_dir;
  std::string objects_dir;  // the object cache the runs share (node::RunOptions::objects_dir)
  std::FILE* progress = nullptr;
  std::string command_line;
  const std::atomic<bool>* stop = nullptr;
  std::string executable;
  bool run_checks = true;  // false: predict the checks, do not run them
  int repeat = kDefaultRepeats;  // runs of each check (`--repeat K`); the check reports their median
};

// Plain sentences on the table and the checks (PredictResult.findings).
std::vector<std::string> PredictFindings(const PredictResult& result);

// Runs the whole thing and writes predict.json, predict.csv, predict.txt and predict.html
// (sim/report/predict_report.h) into out_dir.
absl::StatusOr<PredictResult> RunPredict(const PredictConfig& config,
                                         const PredictOptions& options);

// The tables as text (what predict.txt holds and the CLI prints).
std::string FormatPredict(const PredictResult& result);

}  // namespace distsim::app

#endif  // DISTSIM_SIM_APP_PREDICT_H_
