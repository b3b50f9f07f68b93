// `distsim run` for the distributed strategies: the launcher starts the coordinator in-process,
// spawns the server and worker processes, watches them, prints progress from the records the
// workers report, and writes the run's results. Any child that fails ends the run: the others are
// told to abort and, after a short grace, killed; nothing outlives the launcher.
#ifndef DISTSIM_SIM_NODE_DISTRIBUTED_RUN_H_
#define DISTSIM_SIM_NODE_DISTRIBUTED_RUN_H_

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "distsim/config.pb.h"
#include "distsim/result.pb.h"
#include "sim/comm/tls.h"
#include "sim/node/launcher.h"
#include "sim/node/run_options.h"
#include "sim/node/supervisor.h"

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
  // With `listen` only: the run token (read by the CLI from the environment, or the job's);
  // empty: a random one, written to out_dir/token for the roles started by hand.
  std::string token;
  // With `listen` only: where the announcement also goes as one line of JSON (`distsim
  // coordinator --json`): the address, the token file, the config, each role's command line and
  // each worker's channel folder. nullptr: none.
  std::FILE* announce_json = nullptr;

  // `distsim train` on the chief's host (sim/app/train.h), with `listen` and `token`: every
  // host holds only its own channels (SageMaker's File mode) and starts its own roles.
  //   channel_dir     this host's channel folder (<root>/input/data): the coordinator opens
  //                   worker 0's channel there instead of data_dir, lays out no channels,
  //                   announces nothing, and builds RunResult.data from the workers' reports
  //                   (channel_report.h). Empty: `distsim run` or `distsim coordinator`.
  //   host_names      by simulated host ("algo-1", ...): messages name each process's host.
  //   local_children  the roles the caller started on this host (owned by the caller), named
  //                   by local_roles: watched as spawned children are (an exit is seen at
  //                   once), and waited for when the run ends so that their last files land.
  std::string channel_dir;
  std::vector<std::string> host_names;
  ChildProcesses* local_children = nullptr;
  std::map<pid_t, ChildRole> local_roles;
};

absl::StatusOr<RunResult> RunDistributed(const RunConfig& config,
                                         const DistributedRunOptions& options);

}  // namespace distsim::node

#endif  // DISTSIM_SIM_NODE_DISTRIBUTED_RUN_H_
