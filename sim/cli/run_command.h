// The subcommands of the distsim binary, as functions from parsed options to a Status.
#ifndef DISTSIM_SIM_CLI_RUN_COMMAND_H_
#define DISTSIM_SIM_CLI_RUN_COMMAND_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace distsim::cli {

struct RunFlags {
  std::string config_path;
  std::vector<std::string> overrides;  // text-format fragments merged into the config, in order
  std::string data_dir;                // overrides data.dir
  std::string output_dir;              // overrides output_dir
  bool quiet = false;
  bool json = false;                   // print result.json to stdout at the end
  std::string command_line;
};

// `distsim run`: loads, validates and runs one config; prints a summary.
absl::Status RunCommand(const RunFlags& flags);

// `distsim check`: loads and validates a config and prints it with defaults filled in.
absl::Status CheckCommand(const RunFlags& flags);

}  // namespace distsim::cli

#endif  // DISTSIM_SIM_CLI_RUN_COMMAND_H_
