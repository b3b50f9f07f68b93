// `distsim run` for the distributed strategies: the launcher starts the coordinator in-process,
// spawns the server and worker processes, watches them, prints progress from the records the
// workers report, and writes the run's results. Any child that fails ends the run: the others are
// told to abort and, after a short grace, killed; nothing outlives the launcher.
#ifndef DISTSIM_SIM_NODE_DISTRIBUTED_RUN_H_
#define DISTSIM_SIM_NODE_DISTRIBUTED_RUN_H_

#include <string>

#include "absl/status/statusor.h"
#include "distsim/config.pb.h"
#include "distsim/result.pb.h"
#include "sim/comm/tls.h"
#include "sim/node/run_options.h"

namespace distsim::node {

// A distributed run's options: those of every run, and the coordinator's own.
struct DistributedRunOptions : RunOptions {
  // Seconds a process may take to register before the run fails naming it. Default 30.
  double registration_timeout_s = 30;
  // `distsim coordinator`: spawn nobody; serve on `listen` (host:port), write the run token to
  // out_dir/token (mode 0600), and wait for processes started by hand. Empty listen: spawn the
  // processes on loopback (`distsim run`), the token in their environment.
  std::string listen;
  // With `listen` only: serve TLS, and talk TLS to the servers (comm/tls.h); the printed command
  // lines then carry the --tls-* flags. A TLS run over the TCP ring is refused
  // (CheckTlsTransport). Empty: plaintext.
  comm::TlsFiles tls;
};

absl::StatusOr<RunResult> RunDistributed(const RunConfig& config,
                                         const DistributedRunOptions& options);

}  // namespace distsim::node

#endif  // DISTSIM_SIM_NODE_DISTRIBUTED_RUN_H_
