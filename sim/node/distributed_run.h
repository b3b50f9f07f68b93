// `distsim run` for the distributed strategies: the launcher starts the coordinator in-process,
// spawns the server and worker processes, watches them, prints progress from the records the
// workers report, and writes the run's results. Any child that fails ends the run: the others are
// told to abort and, after a short grace, killed; nothing outlives the launcher.
#ifndef DISTSIM_SIM_NODE_DISTRIBUTED_RUN_H_
#define DISTSIM_SIM_NODE_DISTRIBUTED_RUN_H_

#include <atomic>
#include <cstdio>
#include <string>

#include "absl/status/statusor.h"
#include "distsim/config.pb.h"
#include "distsim/result.pb.h"

namespace distsim::node {

struct DistributedRunOptions {
  std::string data_dir;             // resolved folder of the IDX files
  std::string out_dir;              // result.json, steps.csv and the effective config go here
  std::string executable;           // the distsim binary to spawn (default: this one)
  std::FILE* progress = nullptr;    // progress lines; nullptr: silent
  uint64_t progress_every_steps = 0;
  std::string command_line;
  const std::atomic<bool>* stop = nullptr;  // Ctrl-C: stop everything, status Cancelled
  // Seconds a process may take to register before the run fails naming it. Default 30.
  double registration_timeout_s = 30;
  // `distsim coordinator`: spawn nobody; serve on `listen` (host:port) with `token`, and wait for
  // processes started by hand. Empty listen: spawn the processes on loopback (`distsim run`).
  std::string listen;
  std::string token;
};

absl::StatusOr<RunResult> RunDistributed(const RunConfig& config,
                                         const DistributedRunOptions& options);

}  // namespace distsim::node

#endif  // DISTSIM_SIM_NODE_DISTRIBUTED_RUN_H_
