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

  CLI::App* compare = app.add_subcommand(
      "compare",
      "Run several configs side by side (a CompareConfig: runs, sweeps, repeats), print the "
      "table and write out/<name>/compare.json, compare.csv, report.html and each run's folder.");
  compare->add_option("config", flags.config_path, "Compare config (.textproto or .json)")
      ->required()
      ->check(CLI::ExistingFile);
  compare->add_option("--data-dir", flags.data_dir, "Folder with the four IDX files");
  compare->add_option("--out", flags.output_dir, "Results folder (default: output_dir, else out/)");
  compare->add_flag("-q,--quiet", flags.quiet, "No progress lines");

  CLI::App* plan = app.add_subcommand(
      "plan",
      "Print what a run would start without running it: processes and hosts, the shard map "
      "with bytes per server, objects and examples per worker, expected bytes per step.");
  AddConfigFlags(plan, &flags);

  std::string listen = "127.0.0.1:0";
  std::string token;
  CLI::App* coordinator = app.add_subcommand(
      "coordinator",
      "Run only the coordinator of a distributed config, for servers and workers started by "
      "hand (on this or other hosts). Prints the command line each role needs.");
  AddConfigFlags(coordinator, &flags);
  coordinator->add_option("--listen", listen, "HOST:PORT to serve on (port 0: any free port)");
  coordinator->add_option("--token", token, "Run token the roles must present (default: random)");

  distsim::node::RoleFlags role;
  auto add_role = [&](const char* name, const char* help) {
    CLI::App* cmd = app.add_subcommand(name, help);
    cmd->add_option("--config", role.config_path, "The run's config (the coordinator prints it)")
        ->required()
        ->check(CLI::ExistingFile);
    cmd->add_option("--rank", role.rank, "This process's rank")->required();
    cmd->add_option("--coordinator", role.coordinator, "HOST:PORT of the coordinator")
        ->required();
    cmd->add_option("--token", role.token, "The run token")->required();
    cmd->add_option("--data-dir", role.data_dir, "Folder with the four IDX files");
    cmd->add_option("--bind", role.bind_host, "Address this process serves on (default loopback)");
    cmd->add_option("--port", role.bind_port, "Port to serve on (default 0: any free port)");
    cmd->add_option("--parent-pid", role.parent_pid, "Exit when this process is not our parent")
        ->group("");  // set by the launcher, hidden from --help
    cmd->add_option("--run-start", role.run_start_unix, "Run clock start, Unix seconds")
        ->group("");
    cmd->add_option("--nic", role.nic_path, "Shared NIC table of a shaped network")->group("");
    return cmd;
  };
  CLI::App* worker = add_role("worker", "One worker of a distributed run (started by distsim run, "
                                        "or by hand next to `distsim coordinator`)");
  CLI::App* server = add_role("server", "One parameter-server shard of a distributed run");

  distsim::cli::PredictFlags predict_flags;
  CLI::App* predict = app.add_subcommand(
      "predict",
      "Calibrate the alpha-beta cost model on a short run, then predict step time, samples/s, "
      "scaling efficiency and cost per epoch of 1 to 256 workers (ring, parameter server SYNC "
      "and ASYNC) on the configured instance and network; with a PredictConfig, also run its "
      "held-out checks and show predicted against measured. Writes out/<name>/predict.html, "
      "predict.json, predict.csv, predict.txt.");
  AddConfigFlags(predict, &flags);
  predict->add_option("--workers", predict_flags.workers,
                      "Worker counts to predict, comma-separated (default 1,2,4,...,256)");
  predict->add_option("--servers", predict_flags.servers,
                      "Parameter-server shards for the PS rows (default 1)");
  predict->add_flag("--no-checks", predict_flags.no_checks,
                    "Predict the held-out checks but do not run them");
  predict->add_flag("-q,--quiet", flags.quiet, "No progress lines");

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
  } else if (compare->parsed()) {
    status = distsim::cli::CompareCommand(flags);
  } else if (predict->parsed()) {
    status = distsim::cli::PredictCommand(flags, predict_flags);
  } else if (plan->parsed()) {
    status = distsim::cli::PlanCommand(flags);
  } else if (coordinator->parsed()) {
    status = distsim::cli::CoordinatorCommand(flags, listen, token);
  } else if (worker->parsed() || server->parsed()) {
    status = distsim::cli::RoleCommand(server->parsed(), role);
    if (absl::IsAborted(status)) {
      return distsim::ExitCodeFor(status);  // the launcher reports why; stay quiet
    }
  }
  if (!status.ok()) {
    std::string who = "distsim";
    if (worker->parsed()) who = "distsim worker " + std::to_string(role.rank);
    if (server->parsed()) who = "distsim server " + std::to_string(role.rank);
    std::fprintf(stderr, "%s: %s\n", who.c_str(), std::string(status.message()).c_str());
    return distsim::ExitCodeFor(status);
  }
  return 0;
}
