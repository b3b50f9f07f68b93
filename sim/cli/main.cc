// distsim: a simulator and benchmark of distributed training on one machine.
// main() alone turns a Status into an exit code and one line on stderr.
#include <cstdio>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/str_join.h"
#include "sim/base/status.h"
#include "sim/cli/run_command.h"
#include "sim/node/build_info.h"

namespace {

void AddConfigFlags(CLI::App* cmd, distsim::cli::RunFlags* flags) {
  cmd->add_option("config", flags->config_path,
                  "Run config (.textproto or .json; schema: proto/distsim/config.proto)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--set", flags->overrides,
                  "Override config fields with a text-format fragment, e.g. --set 'train { steps: "
                  "100 }' --set 'seed: 7'. Repeatable; applied in order.");
  cmd->add_option("--data-dir", flags->data_dir,
                  "Folder with the four IDX files (default: data.dir, else $DISTSIM_DATA_DIR, "
                  "else the cache folder of scripts/get-mnist.sh)");
  cmd->add_option("--out", flags->output_dir, "Results folder (default: output_dir, else out/)");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "distsim: compare distributed-training strategies on one machine.\n"
      "Real processes, real Eigen kernels, MNIST; results in out/<run-name>/."};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("distsim ") + DISTSIM_VERSION + " (" +
                                        DISTSIM_GIT_REVISION + ")");

  distsim::cli::RunFlags flags;
  flags.command_line = absl::StrJoin(argv, argv + argc, " ");

  CLI::App* run = app.add_subcommand(
      "run",
      "Train one config and write out/<name>/result.json and steps.csv. Progress goes to "
      "stderr; a summary (or, with --json, result.json) to stdout.");
  AddConfigFlags(run, &flags);
  run->add_flag("-q,--quiet", flags.quiet, "No progress lines");
  run->add_flag("--json", flags.json, "Print result.json to stdout instead of the summary");

  CLI::App* check = app.add_subcommand(
      "check", "Validate a config and print it with every default filled in; trains nothing.");
  AddConfigFlags(check, &flags);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : distsim::kExitUsage;
  }

  absl::Status status;
  if (run->parsed()) {
    status = distsim::cli::RunCommand(flags);
  } else if (check->parsed()) {
    status = distsim::cli::CheckCommand(flags);
  }
  if (!status.ok()) {
    std::fprintf(stderr, "distsim: %s\n", std::string(status.message()).c_str());
    return distsim::ExitCodeFor(status);
  }
  return 0;
}
