// `distsim train` at the program's edge: its flags, the environment it reads (the run token,
// never from hyperparameters.json), the --hosts-file it reads, and the signals SageMaker sends
// (SIGTERM, then SIGKILL 120 s later): SIGTERM stops every process of this host and the command
// exits 143 (128 + SIGTERM).
#ifndef DISTSIM_SIM_CLI_TRAIN_COMMAND_H_
#define DISTSIM_SIM_CLI_TRAIN_COMMAND_H_

#include <string>

#include "CLI/CLI.hpp"

namespace distsim::cli {

struct TrainFlags {
  std::string root = "/opt/ml";
  std::string hosts_file;  // /etc/hosts format; empty: the system's resolver
  bool quiet = false;
  std::string command_line;
  std::string word;  // "train": SageMaker runs the image as `docker run IMAGE train`
};

// Adds the `train` subcommand and its flags to `app`.
CLI::App* AddTrain(CLI::App* app, TrainFlags* flags);

// Runs `distsim train`; returns the process's exit code (0, the sysexits code of the error with
// one line on stderr, or 143 when SIGTERM stopped it).
int TrainCommand(const TrainFlags& flags);

}  // namespace distsim::cli

#endif  // DISTSIM_SIM_CLI_TRAIN_COMMAND_H_
