// One run of any strategy: `local` in this process, the distributed ones as spawned processes.
#ifndef DISTSIM_SIM_NODE_RUN_H_
#define DISTSIM_SIM_NODE_RUN_H_

#include <atomic>
#include <cstdio>
#include <string>

#include "absl/status/statusor.h"
#include "distsim/config.pb.h"
#include "distsim/result.pb.h"

namespace distsim::node {

struct RunOptions {
  std::string data_dir;           // resolved folder of the four IDX files
  std::string out_dir;            // result.json, steps.csv, trace.json
  std::FILE* progress = nullptr;  // nullptr: silent
  uint64_t progress_every_steps = 0;
  std::string command_line;
  const std::atomic<bool>* stop = nullptr;  // Ctrl-C
  std::string executable;         // distributed runs: the binary to spawn (default: this one)
};

// Trains `config` (defaults filled, validated) with its strategy and writes its results.
absl::StatusOr<RunResult> Run(const RunConfig& config, const RunOptions& options);

// One run of a command that makes several (compare, predict): `config` with output_dir set to
// `parent_dir`, its results in <parent_dir>/<config.name()>/, data from `data_dir`, the rest of
// `common` as given. An error is prefixed with "run <name>: ".
absl::StatusOr<RunResult> RunInto(RunConfig config, const std::string& parent_dir,
                                  const std::string& data_dir, RunOptions common);

}  // namespace distsim::node

#endif  // DISTSIM_SIM_NODE_RUN_H_
