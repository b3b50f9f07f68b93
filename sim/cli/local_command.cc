#include "sim/cli/local_command.h"

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "sim/app/local_job.h"
#include "sim/app/training_job_request.h"
#include "sim/base/status.h"
#include "sim/cli/help.h"
#include "sim/cli/stop_signal.h"
#include "sim/config/config.h"

namespace distsim::cli {
namespace {

void PrintSummary(const app::LocalOutcome& o, const std::string& run_dir) {
  const RunResult& r = o.result;
  std::printf("distsim local: %s in %.1f s on %s (shaping: %s)\n",
              o.succeeded ? "every host trained to the end" : "the job failed", o.wall_seconds,
              o.network.c_str(), o.shaping.c_str());
  for (const app::LocalHostOutcome& h : o.hosts) {
    std::printf("  %-8s rank %d  %-15s  %6llu examples  %s\n", h.name.c_str(), h.rank,
                h.address.c_str(), static_cast<unsigned long long>(h.channel_examples),
                h.exit_code == 0 ? "ok" : h.failure.c_str());
  }
  if (r.steps() > 0) {
    std::printf("  final test accuracy %.2f%%, parameter hash %s\n", 100 * r.final_test_accuracy(),
                r.parameter_hash().c_str());
    std::printf("  step time: %.1f ms measured here (mean), %.1f ms on the modelled cluster\n",
                r.step_times().mean_ms(), r.modelled().step_ms_mean());
  }
  std::printf("  results: %s/result.json, model: %s/model, hosts' trees and logs: %s/local/\n",
              run_dir.c_str(), run_dir.c_str(), run_dir.c_str());
}

int ExitCodeOf(const app::LocalOutcome& o) {
  if (o.succeeded) return 0;
  for (const app::LocalHostOutcome& h : o.hosts) {
    if (h.rank == 0 && h.exit_code > 0) return h.exit_code;
  }
  for (const app::LocalHostOutcome& h : o.hosts) {
    if (h.exit_code > 0) return h.exit_code;
  }
  return kExitUnavailable;
}

// The job to run: a run config, or a CreateTrainingJob request (export-sagemaker's
// create-training-job.json) with the hyperparameters it carries.
absl::StatusOr<RunConfig> LoadJob(const RunFlags& run,
                                  std::map<std::string, std::string>* hyperparameters) {
  std::ifstream in(run.config_path);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in || !absl::EndsWith(run.config_path, ".json") || !app::IsTrainingJobRequest(text.str())) {
    return LoadWithFlags(run, "local");
  }
  if (!run.overrides.empty() || run.workers > 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(run.config_path,
                     ": a CreateTrainingJob request runs as it is; --set and --workers take run "
                     "configs"));
  }
  DS_ASSIGN_OR_RETURN(app::TrainingJobRequest request,
                      app::ParseTrainingJobRequest(text.str(), run.config_path));
  *hyperparameters = std::move(request.hyperparameters);
  // The request names no data (on SageMaker they arrive in the channels): this machine's folder.
  request.config.mutable_data()->set_dir(DataDirFor(request.config, run));
  return std::move(request.config);
}

}  // namespace

CLI::App* AddLocal(CLI::App* app, RunFlags* run, LocalFlags* flags) {
  CLI::App* cmd = app->add_subcommand(
      "local",
      "SageMaker's local mode without Docker and with sharding: writes one /opt/ml tree per host "
      "(the three JSON files as SageMaker writes them, each host's channels), puts every host in "
      "a network namespace of its own (root; else loopback aliases), and runs `distsim train` in "
      "each with a fresh 256-bit token. The chief's results and model land in out/<name>/, every "
      "host's outcome in out/<name>/local.json. Exit: 0 when every host trained, else the "
      "failing host's code.");
  cmd->footer(
      HelpFooter("four hosts on a 200 Mbit/s network shaped by the kernel: sudo distsim local "
                 "configs/ps_sync_4w.textproto --set 'cluster { network { bandwidth_gbps: 0.2 } }' "
                 "--kernel-shaping"));
  cmd->add_option("config", run->config_path,
                  "Run config (.textproto or .json), or a CreateTrainingJob request "
                  "(export-sagemaker's create-training-job.json)")
      ->required();
  cmd->add_option("--set", run->overrides, "Override config fields, as for run. Repeatable.");
  cmd->add_option("--data-dir", run->data_dir, "Folder with the four IDX files (as for run)");
  cmd->add_option("--out", run->output_dir, "Results folder root (default: the config's)");
  cmd->add_option("--workers", run->workers, "Hosts (overrides the config's `workers`)")
      ->check(CLI::Range(1, 250));
  cmd->add_option("--network", flags->network,
                  "auto (namespaces when root, else loopback), namespaces, or loopback")
      ->check(CLI::IsMember({"auto", "namespaces", "loopback"}));
  cmd->add_flag("--kernel-shaping", flags->kernel_shaping,
                "Shape each host's link with tc (tbf at cluster.network's bandwidth, netem for its "
                "latency, jitter and loss) instead of distsim's own shaper; needs namespaces");
  cmd->add_option("--timeout", flags->timeout_s, "Seconds before every host is stopped (3600)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--start-delay", flags->start_delay_s,
                  "Seconds after the first that each host starts, in name order (algo-1, "
                  "algo-2, ...); hosts come up in any order")
      ->delimiter(',');
  cmd->add_flag("--json", flags->json, "Print local.json to stdout at the end");
  cmd->add_flag("-q,--quiet", run->quiet, "No progress lines");
  return cmd;
}

int LocalCommand(const RunFlags& run, const LocalFlags& flags) {
  const std::atomic<bool>* stop = InstallStopSignals();
  std::map<std::string, std::string> hyperparameters;
  absl::StatusOr<RunConfig> config = LoadJob(run, &hyperparameters);
  absl::StatusOr<app::LocalOutcome> outcome = absl::UnknownError("not run");
  if (!config.ok()) outcome = config.status();
  std::string run_dir;
  if (config.ok()) {
    const std::string root = run.output_dir.empty() ? config->output_dir() : run.output_dir;
    run_dir = (std::filesystem::path(root) / config->name()).string();
    app::LocalOptions options;
    options.data_dir = DataDirFor(*config, run);
    options.run_dir = run_dir;
    options.network = flags.network == "namespaces" ? app::LocalNetwork::kNamespaces
                      : flags.network == "loopback" ? app::LocalNetwork::kLoopback
                                                    : app::LocalNetwork::kAuto;
    options.kernel_shaping = flags.kernel_shaping;
    options.hyperparameters = std::move(hyperparameters);
    options.timeout = absl::Seconds(flags.timeout_s);
    options.start_delay_s = flags.start_delay_s;
    options.progress = run.quiet ? nullptr : stderr;
    options.stop = stop;
    outcome = app::RunLocalJob(*config, options);
  }
  if (!outcome.ok()) {
    std::fprintf(stderr, "distsim local: %s\n", std::string(outcome.status().message()).c_str());
    return ExitCodeAfterStop(outcome.status());
  }
  if (flags.json) {
    std::fputs(app::LocalOutcomeJson(*outcome).c_str(), stdout);
  } else {
    PrintSummary(*outcome, run_dir);
  }
  return ExitCodeOf(*outcome);
}

}  // namespace distsim::cli
