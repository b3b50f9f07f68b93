// What the worker and server roles share: loading their config and inputs (checked against the
// role and rank they were started as), telling the coordinator why they fail, and their figures.
#ifndef DISTSIM_SIM_NODE_ROLE_COMMON_H_
#define DISTSIM_SIM_NODE_ROLE_COMMON_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "distsim/cluster.pb.h"
#include "sim/node/roles.h"
#include "sim/node/run_plan.h"

namespace distsim::node {

// The environment variables that carry the run token to a role process: the token itself
// (the launcher sets it for its children), or the path of a file holding it, readable by its
// owner alone (`distsim coordinator` writes one for roles started by hand). Never the command
// line, which every user of the machine can read.
inline constexpr char kTokenEnv[] = "DISTSIM_TOKEN";
inline constexpr char kTokenFileEnv[] = "DISTSIM_TOKEN_FILE";

// `bits` (a multiple of 32) random bits from the kernel, as hex: run tokens (128 bits for a
// run, 256 for a `distsim local` job) and unguessable file names.
std::string RandomHex(int bits = 128);

// Writes `token` to `path` with mode 0600 (replacing what was there), for DISTSIM_TOKEN_FILE.
absl::Status WriteTokenFile(const std::string& path, const std::string& token);

// Loads, defaults and validates the role's config (errors name flags.config_path), checks that
// the strategy has this role, that flags.rank exists, that a TensorFlow cluster spec's counts
// are the config's (flags.cluster_*) and that a TLS role's transport can carry TLS
// (CheckTlsTransport), then opens the data (a worker: its channel, whose test set only worker 0
// needs), builds the model and derives the plan.
absl::StatusOr<RunInputs> OpenRoleRun(const RoleFlags& flags, ProcessInfo::Role role);

// Tells the coordinator why this process is about to fail, so the launcher can say it (a stall
// names the rank waited on; a config error its field) instead of only an exit code. Best effort;
// returns `status`. OK and Aborted (the coordinator's own abort) are not reported.
absl::Status ReportFailure(const RoleFlags& flags, ProcessInfo::Role role, absl::Status status);

// flags.report_path (if set) gets `summary` as JSON: what the process reported when it finished,
// or, when `status` is not OK, its role, rank, pid, error and exit code. Returns `status`, or
// the write's error when `status` was OK.
absl::Status WriteRoleReport(const RoleFlags& flags, ProcessInfo::Role role,
                             ProcessSummary summary, absl::Status status);

// This process as the peer table lists it.
ProcessInfo SelfInfo(ProcessInfo::Role role, uint32_t rank, uint32_t host,
                     const std::string& address);

// User plus system CPU seconds of this process so far.
double ProcessCpuSeconds();

// This process's memory now: its proportional set size (/proc/self/smaps_rollup; 0 where the
// kernel has no such file) and its peak resident set (getrusage), in bytes.
struct ProcessMemory {
  uint64_t pss_bytes = 0;
  uint64_t max_rss_bytes = 0;
};
ProcessMemory ReadProcessMemory();

}  // namespace distsim::node

#endif  // DISTSIM_SIM_NODE_ROLE_COMMON_H_
