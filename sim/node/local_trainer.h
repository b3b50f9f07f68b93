// The `local` strategy: one process trains alone. The reference every distributed run is compared
// with, and the loop the distributed workers reuse in pieces.
#ifndef DISTSIM_SIM_NODE_LOCAL_TRAINER_H_
#define DISTSIM_SIM_NODE_LOCAL_TRAINER_H_

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "distsim/config.pb.h"
#include "distsim/result.pb.h"
#include "sim/node/run_options.h"

namespace distsim::node {

struct LocalRunOptions : RunOptions {
  // If not null, receives the final parameters (for tests comparing runs).
  std::vector<float>* final_params = nullptr;
  // `distsim train` on one host: the channels SageMaker laid out (<root>/input/data), read as
  // they hold (every object of the train channel, the test set from test/ or validation/)
  // instead of data_dir; RunResult.data and the modelled download come from that channel.
  std::string channel_dir;
  // If set, the trained model goes there (model_export.h).
  std::string model_dir;
};

// Trains `config` (defaults filled, validated) in this process. The run's clock starts before the
// data is first read. Writes out_dir/result.json and out_dir/steps.csv when out_dir is set.
absl::StatusOr<RunResult> RunLocal(const RunConfig& config, const LocalRunOptions& options);

// Sets the threads Eigen may use in this process (0 and 1: one). More than one needs a build with
// DISTSIM_OPENMP; otherwise an InvalidArgument naming train.threads.
absl::Status SetComputeThreads(uint32_t threads);

// FNV-1a 64 of the bytes of `values`, as 16 hex digits.
std::string HashFloats(std::span<const float> values);


}  // namespace distsim::node

#endif  // DISTSIM_SIM_NODE_LOCAL_TRAINER_H_
