// The predictions of `distsim predict` from a calibration (sim/app/predict.h runs it): the
// alpha-beta cost model of sim/model applied to a config's model, cluster and network, here on
// this machine or at scale on the simulated cluster. Pure functions; no I/O, thread-compatible.
#ifndef DISTSIM_SIM_APP_PREDICT_MODEL_H_
#define DISTSIM_SIM_APP_PREDICT_MODEL_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "distsim/config.pb.h"
#include "distsim/result.pb.h"
#include "sim/model/cost_model.h"

namespace distsim::app {

// What the predictions need of a model, on MNIST-shaped data (28 x 28, 10 classes).
struct ModelSize {
  double flops_per_example = 0;  // training
  int64_t parameters = 0;
};
absl::StatusOr<ModelSize> SizeOf(const ModelConfig& model);

// Everything the predictions need from the calibration.
struct Calibrated {
  double cpu_s_per_gflop = 0;  // this machine, one worker thread
  double data_s_per_sample = 0;
  double host_gemm_gflops = 0;
  model::Network probe;            // fitted on the probe
  double probe_latency_s = 0;      // the configured latency the probe ran with
  double probe_bandwidth_bps = 0;  // the configured bandwidth it ran with (bytes/s; 0: unshaped)
  Calibration summary;
};

// The network `config` would see, from the calibrated overhead and efficiency.
model::Network CalibratedNetwork(const Calibrated& cal, const RunConfig& config);

// Predicted step time of `config` run here (this machine's cores shared by its processes).
PredictRow PredictHere(const Calibrated& cal, const RunConfig& config, int cores);

// Predicted rows of `config` on its simulated cluster for each worker count: ring, PS SYNC and
// PS ASYNC with `servers` dedicated shards.
std::vector<PredictRow> PredictAtScale(const Calibrated& cal, const RunConfig& config,
                                       const std::vector<uint32_t>& workers, uint32_t servers,
                                       int64_t examples_per_epoch);

}  // namespace distsim::app

#endif  // DISTSIM_SIM_APP_PREDICT_MODEL_H_
