// `distsim train`: the entry point of a SageMaker training container (bring-your-own image,
// ENTRYPOINT ["distsim", "train"]). It reads the tree SageMaker writes (README.md, "distsim
// train"; config/sagemaker_job.h), derives the job's RunConfig, and runs this host's part: one
// host trains alone (local); several run SageMaker's TensorFlow parameter-server layout
// (train_host.h). It ends as SageMaker's training toolkit does:
//
//   success   <root>/output/success, empty; the chief's results in <root>/output/data
//             (result.json, steps.csv, trace.json), every host's roles' reports there too
//             ({server,worker}-<rank>.json), and the model in <root>/model (model_export.h)
//   failure   <root>/output/failure: one line, the reason (SageMaker shows its first 1024
//             characters as the job's FailureReason), written atomically; the Status returned
//             gives the exit code (66 a missing file, 78 a bad config or hyperparameter, 69 a
//             host that did not come up or went away, 77 no run token, ...)
#ifndef DISTSIM_SIM_APP_TRAIN_H_
#define DISTSIM_SIM_APP_TRAIN_H_

#include <atomic>
#include <cstdio>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "sim/node/host_network.h"

namespace distsim::app {

struct TrainOptions {
  std::string root = "/opt/ml";
  // The run token, as the CLI read it from $DISTSIM_TOKEN or the file $DISTSIM_TOKEN_FILE names
  // (an error when neither is set). A job of several hosts needs it; one host opens no port and
  // needs none.
  absl::StatusOr<std::string> token;
  // --hosts-file, as the CLI read it (an error when it could not); empty: the system's resolver.
  absl::StatusOr<node::HostTable> hosts = node::HostTable();
  std::string executable;   // the binary the roles run (default: this one)
  std::FILE* progress = stderr;  // progress lines; null: silent
  const std::atomic<bool>* stop = nullptr;  // SIGTERM
  std::string command_line;
};

// Runs this host's part of the job and writes <root>/output/success or <root>/output/failure.
// Returns OK on success, else the error (also the failure file's line); Cancelled when *stop
// was set.
absl::Status RunTrain(const TrainOptions& options);

}  // namespace distsim::app

#endif  // DISTSIM_SIM_APP_TRAIN_H_
