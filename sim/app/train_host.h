// One host of a multi-host `distsim train` job, in SageMaker's TensorFlow parameter-server
// layout (docs/architecture.md, "distsim train: SageMaker's container"):
//
//   every host     a parameter-server shard (`distsim server`, rank = host index) on
//                  <its address>:2223 and a worker (`distsim worker`, the same rank) reading
//                  <root>/input/data, both children of this process, the token in their
//                  environment, their last word in <root>/output/data/{server,worker}-<r>.json
//   the chief      hosts[0]: also the coordinator, in this process, on <its address>:2222; it
//                  writes result.json, steps.csv and trace.json, and its worker the model
//
// Every role dials the chief at hosts[0]:2222. "Its address" is that of the interface
// resourceconfig.json names (network_interface_name: the explicit opt-in to serving on a
// non-loopback address). Names resolve through the system's resolver or the --hosts-file table,
// and a host waits for the chief (resolving it, then connecting) until
// supervision.join_timeout_s: hosts come up in any order.
#ifndef DISTSIM_SIM_APP_TRAIN_HOST_H_
#define DISTSIM_SIM_APP_TRAIN_HOST_H_

#include <atomic>
#include <cstdio>
#include <string>

#include "absl/status/status.h"
#include "distsim/config.pb.h"
#include "sim/config/sagemaker_job.h"
#include "sim/node/host_network.h"

namespace distsim::app {

struct HostJob {
  config::SageMakerInput input;
  RunConfig config;          // TrainConfigOf(input)
  std::string token;         // the run token (never from hyperparameters.json)
  node::HostTable hosts;     // --hosts-file; empty: the system's resolver
  std::string executable;    // the binary the roles run (default: this one)
  std::string out_dir;       // <root>/output/data
  std::string model_dir;     // <root>/model
  std::FILE* progress = nullptr;
  const std::atomic<bool>* stop = nullptr;  // SIGTERM: stop every process, Cancelled
  std::string command_line;
};

// Runs this host's part until the job ends. OK when it trained to the end; otherwise the error
// that ended it, naming the host at fault where it is known: Unavailable (69) for a host that
// did not come up or went away, the roles' own kinds otherwise, Cancelled when *stop was set.
absl::Status RunHostJob(const HostJob& job);

}  // namespace distsim::app

#endif  // DISTSIM_SIM_APP_TRAIN_HOST_H_
