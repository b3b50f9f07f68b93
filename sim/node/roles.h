// The role processes of a distributed run: `distsim worker` and `distsim server`. The launcher
// starts them with the effective config it wrote; a person can start them by hand (on other
// hosts too) with the coordinator's address and the run token.
#ifndef DISTSIM_SIM_NODE_ROLES_H_
#define DISTSIM_SIM_NODE_ROLES_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "sim/comm/tls.h"

namespace distsim::node {

struct RoleFlags {
  std::string config_path;
  std::string data_dir;          // resolved folder with the four IDX files
  // A worker's host's channels (channels.h: <run>/hosts/algo-<h>/input/data, given by the
  // launcher; <root>/input/data under `distsim train`): the worker reads its training set from
  // <channel>/train and the test set from <channel>/test (or validation/), not from data_dir;
  // a server given one reads only the images' shape there. Empty: the whole set in data_dir.
  std::string channel_dir;
  std::string coordinator;       // host:port of the coordinator
  std::string token;             // the run token
  std::string bind_host = "127.0.0.1";
  int bind_port = 0;             // 0: any free port (reported to the coordinator)
  uint32_t rank = 0;
  int64_t parent_pid = 0;        // launcher's pid: die with it (0: started by hand)
  // When the run's clock started (Unix seconds, from the launcher), so that every process's
  // times count from the same instant. 0: this process's own start.
  double run_start_unix = 0;
  // The shared NIC table of a shaped network (cluster.network.shape), made by the launcher:
  // every process on this machine maps it, so a simulated host's buckets are shared.
  std::string nic_path;
  // TLS for every server and channel of this process (read by the CLI from --tls-cert, --tls-key
  // and --tls-ca); empty: plaintext. A TLS role refuses the TCP ring (CheckTlsTransport).
  comm::TlsFiles tls;
  // Where this process writes its last word when it ends: its ProcessSummary as JSON, with the
  // error and exit code when it fails (`distsim train` collects them in <root>/output/data).
  // Empty: nowhere.
  std::string report_path;
  // Worker 0: the folder it writes the trained model to (model_export.h) when it finishes.
  std::string model_dir;
  // Where this process writes its part of the run's coordinated checkpoints (checkpoint.h),
  // supervision.checkpoint_every_steps apart; empty: none. With resume_step > 0 it first loads
  // its part of the set of that step and goes on from there.
  std::string checkpoint_dir;
  uint64_t resume_step = 0;
  // Restarts of the run so far (supervision.max_restarts): a restarted worker does not inject
  // its kill_at_step fault again (a crashed machine comes back healthy).
  uint32_t attempt = 0;
  // A worker started again alone after its process died (ASYNC, SSP with restarts left): it
  // asks the shards where it stands and goes on from there, beside the processes still running.
  bool rejoin = false;
  // A role placed by a TensorFlow cluster spec (TF_CONFIG, sim/config/tf_config.h): the spec's
  // worker and server counts, which must be the config's. 0: not given.
  uint32_t cluster_workers = 0;
  uint32_t cluster_servers = 0;
};

// Seconds since the Unix epoch, as a double.
double UnixSeconds();

// Both return OK when the run finished normally, Aborted when the coordinator stopped the run
// (the reason in the message), or the error that ended this process.
absl::Status RunWorkerRole(const RoleFlags& flags);
absl::Status RunServerRole(const RoleFlags& flags);

}  // namespace distsim::node

#endif  // DISTSIM_SIM_NODE_ROLES_H_
