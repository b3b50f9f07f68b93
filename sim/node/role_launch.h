// How the launcher starts a run's roles: as its children (`distsim run`), or by telling a person
// the commands to start them with (`distsim coordinator`), as text or JSON.
#ifndef DISTSIM_SIM_NODE_ROLE_LAUNCH_H_
#define DISTSIM_SIM_NODE_ROLE_LAUNCH_H_

#include <sys/types.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sim/comm/tls.h"
#include "sim/node/launcher.h"
#include "sim/node/run_plan.h"
#include "sim/node/supervisor.h"

namespace distsim::node {

// What every spawned role is told: where the config, the coordinator and the data are.
// What every spawned role is told: where the config, the coordinator and the data are.
struct RoleArgs {
  std::string executable;
  std::string config_path;
  std::string coordinator;
  std::string token;
  std::string data_dir;
  std::vector<std::string> host_data_dirs;  // each worker host's channels (channels.h)
  double run_start_unix = 0;
  std::string nic_path;
  std::string checkpoint_dir;  // run_checkpoints.h; empty: none
  uint64_t resume_step = 0;
  uint32_t attempt = 0;  // restarts so far: a restarted process injects no kill again
  comm::TlsFiles tls;  // the coordinator's (roles started by hand get the flags printed)
};

// Spawns every server, then every worker, each with the token in its environment; returns who
// each pid is.
absl::StatusOr<std::map<pid_t, ChildRole>> SpawnRoles(const RunPlan& plan, const RoleArgs& args,
                                                      ChildProcesses* children);

// ASYNC/SSP with restarts left: worker `rank` again, alone (`--rejoin`), after its process died;
// `attempt` is the run's restarts so far, this one included. Returns its pid.
absl::StatusOr<pid_t> SpawnRejoiningWorker(const RunPlan& plan, const RoleArgs& args, uint32_t rank,
                                           uint32_t attempt, ChildProcesses* children);

// `distsim coordinator`: writes the token to a 0600 file in the run's folder and says how to
// start the roles by hand on `out` (and, with `json` not null, as one line of JSON there); the
// token itself is never printed.
absl::Status AnnounceForHands(const RunPlan& plan, const RoleArgs& args,
                              const std::string& out_dir, std::FILE* out, std::FILE* json);

}  // namespace distsim::node

#endif  // DISTSIM_SIM_NODE_ROLE_LAUNCH_H_
