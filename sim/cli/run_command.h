// The subcommands of the distsim binary, as functions from parsed options to a Status.
#ifndef DISTSIM_SIM_CLI_RUN_COMMAND_H_
#define DISTSIM_SIM_CLI_RUN_COMMAND_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "distsim/config.pb.h"
#include "sim/comm/tls.h"
#include "sim/config/compare.h"
#include "sim/node/roles.h"

namespace distsim::cli {

struct RunFlags {
  std::string config_path;
  std::vector<std::string> overrides;  // text-format fragments merged into the config, in order
  std::string data_dir;                // overrides data.dir
  std::string output_dir;              // overrides output_dir
  uint32_t workers = 0;                // --workers: overrides workers (0: the config's)
  bool quiet = false;
  bool json = false;  // print result.json to stdout at the end
  bool resume = false;  // `run --resume`: from the newest good checkpoint
  std::string command_line;
};

// The data folder of `config`: --data-dir, else the config's data.dir (relative to its file),
// else $DISTSIM_DATA_DIR or the cache of scripts/get-mnist.sh for MNIST; made absolute.
std::string DataDirFor(const RunConfig& config, const RunFlags& flags);

// The RunConfig `command` (run, plan, check, coordinator) takes from the flags: the file, which
// must be a RunConfig (else an error naming the command for its kind), the --set fragments in
// order, --workers, --out, then defaults and validation.
absl::StatusOr<RunConfig> LoadWithFlags(const RunFlags& flags, const char* command);

// `distsim run`: loads, validates and runs one config (in this process for `local`, as spawned
// server and worker processes otherwise); prints a summary.
absl::Status RunCommand(const RunFlags& flags);

// `distsim coordinator`: the coordinator alone, for roles started by hand, serving on `listen`
// over TLS when `tls` has its three paths (read here, secrets.h), in plaintext when none. The
// run token is $DISTSIM_TOKEN's or $DISTSIM_TOKEN_FILE's when either is set (the roles then
// share it already: a TFJob's Secret), else a random one written to out/<name>/token.
absl::Status CoordinatorCommand(const RunFlags& flags, const std::string& listen,
                                comm::TlsFiles tls);

// The runs of the comparison in flags.config_path (which must be a CompareConfig), with the
// flags applied to every run: --set fragments in order, then --workers (each run validated
// again); --out replaces output_dir.
absl::StatusOr<std::vector<config::CompareEntry>> LoadCompareWithFlags(const RunFlags& flags,
                                                                       CompareConfig* compare);

// `distsim compare`: runs every entry of a compare config, prints the table, writes
// out/<name>/compare.json, compare.csv and report.html.
absl::Status CompareCommand(const RunFlags& flags);

// `distsim report PATH`: re-renders an earlier comparison (its compare.json, or the folder
// holding it) with this version's rows, claims, findings, table and report; trains nothing.
// `json`: print the new compare.json instead of the table.
absl::Status ReportCommand(const std::string& path, bool json);

// `distsim predict`: calibrates the cost model on a short run (a PredictConfig, or a RunConfig
// used as the calibration), prints and writes the predictions at scale and the held-out checks.
struct PredictFlags {
  std::string workers;     // "1,2,4": overrides PredictConfig.workers
  uint32_t servers = 0;    // overrides PredictConfig.servers
  bool no_checks = false;  // predict the checks without running them
  int repeat = 3;          // runs of each held-out check, 1 to 100 (app::kDefaultRepeats)
};
absl::Status PredictCommand(const RunFlags& flags, const PredictFlags& predict);

// The PredictConfig of `distsim predict`: the file as one, or a plain RunConfig taken as the
// calibration run (no checks), with the flags applied.
absl::StatusOr<PredictConfig> LoadPredictConfig(const RunFlags& flags, const PredictFlags& predict);

// `distsim plan`: what a run would start, where the parameters and data go, the bytes per step.
absl::Status PlanCommand(const RunFlags& flags);

// `distsim check`: loads and validates a config and prints it with defaults filled in.
absl::Status CheckCommand(const RunFlags& flags);

// `distsim worker` / `distsim server`: one role of a distributed run. Reads the run token from
// the environment and the TLS files flags.tls names (secrets.h) before anything else.
absl::Status RoleCommand(bool server, node::RoleFlags flags);

}  // namespace distsim::cli

#endif  // DISTSIM_SIM_CLI_RUN_COMMAND_H_
