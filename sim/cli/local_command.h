// `distsim local` at the program's edge: its flags, the signals that stop it (SIGINT, SIGTERM:
// every host is sent SIGTERM and given SageMaker's 120 s), the summary it prints and its exit code.
#ifndef DISTSIM_SIM_CLI_LOCAL_COMMAND_H_
#define DISTSIM_SIM_CLI_LOCAL_COMMAND_H_

#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "sim/cli/run_command.h"

namespace distsim::cli {

struct LocalFlags {
  std::string network = "auto";  // auto | namespaces | loopback
  bool kernel_shaping = false;
  double timeout_s = 3600;
  std::vector<double> start_delay_s;
  bool json = false;
};

// Adds the `local` subcommand; config path, --set, --data-dir, --out and -q go to `run`.
CLI::App* AddLocal(CLI::App* app, RunFlags* run, LocalFlags* flags);

// Runs `distsim local`; returns the exit code: 0 when every host trained to the end, else the
// first failing host's code (the chief's first), 130 / 143 when a signal stopped it.
int LocalCommand(const RunFlags& run, const LocalFlags& flags);

}  // namespace distsim::cli

#endif  // DISTSIM_SIM_CLI_LOCAL_COMMAND_H_
