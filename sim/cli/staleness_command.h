// `distsim staleness`: the staleness study (sim/app/staleness.h) from the command line.
#ifndef DISTSIM_SIM_CLI_STALENESS_COMMAND_H_
#define DISTSIM_SIM_CLI_STALENESS_COMMAND_H_

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "sim/cli/run_command.h"

namespace distsim::cli {

// Adds the subcommand and its flags (config, --set on base, --data-dir, --out, --threads, -q,
// --json) to `app`.
CLI::App* AddStaleness(CLI::App* app, RunFlags* flags, uint32_t* threads);

// Loads and validates the StalenessStudyConfig at flags.config_path (--set fragments apply to its
// base, --out replaces output_dir, threads > 0 replaces threads), runs every cell with progress
// lines on stderr, prints the table (or, with --json, staleness.json) and writes
// <output_dir>/<name>/staleness.json, staleness.csv, cells.csv and report.html.
absl::Status StalenessCommand(const RunFlags& flags, uint32_t threads);

}  // namespace distsim::cli

#endif  // DISTSIM_SIM_CLI_STALENESS_COMMAND_H_
