// The distsim binary's subcommands and their flags (CLI11): what each takes, its help text with an
// example and the exit codes. main.cc parses with them and dispatches.
#ifndef DISTSIM_SIM_CLI_SUBCOMMANDS_H_
#define DISTSIM_SIM_CLI_SUBCOMMANDS_H_

#include <string>

#include "CLI/CLI.hpp"
#include "sim/cli/local_command.h"
#include "sim/cli/run_command.h"
#include "sim/cli/train_command.h"
#include "sim/comm/tls.h"
#include "sim/node/roles.h"

namespace distsim::cli {

// Everything the command line sets, and the subcommand each part belongs to.
struct Options {
  RunFlags flags;
  std::string listen = "127.0.0.1:0";
  bool allow_remote = false;  // serve on an address other machines can reach
  comm::TlsFiles tls;         // the --tls-* paths (the CLI reads the files, secrets.h)
  node::RoleFlags role;
  PredictFlags predict;
  std::string export_result;  // export-sagemaker --result
  TrainFlags train;
  LocalFlags local;
  uint32_t staleness_threads = 0;  // staleness --threads (0: the config's)
};

struct Subcommands {
  CLI::App* run = nullptr;
  CLI::App* local = nullptr;
  CLI::App* compare = nullptr;
  CLI::App* plan = nullptr;
  CLI::App* coordinator = nullptr;
  CLI::App* worker = nullptr;
  CLI::App* server = nullptr;
  CLI::App* predict = nullptr;
  CLI::App* export_sagemaker = nullptr;
  CLI::App* check = nullptr;
  CLI::App* report = nullptr;
  CLI::App* train = nullptr;
  CLI::App* staleness = nullptr;
};

// Adds every subcommand to `app`, in the order --help lists them.
Subcommands AddSubcommands(CLI::App* app, Options* o);

}  // namespace distsim::cli

#endif  // DISTSIM_SIM_CLI_SUBCOMMANDS_H_
