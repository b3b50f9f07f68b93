#include "sim/cli/run_command.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/text_format.h"
#include "sim/app/compare.h"
#include "sim/app/plan.h"
#include "sim/app/predict.h"
#include "sim/base/status.h"
#include "sim/cli/secrets.h"
#include "sim/cli/stop_signal.h"
#include "sim/cli/summary.h"
#include "sim/config/compare.h"
#include "sim/config/config.h"
#include "sim/config/config_kind.h"
#include "sim/node/distributed_run.h"
#include "sim/node/local_trainer.h"
#include "sim/node/role_common.h"
#include "sim/node/run.h"
#include "sim/node/run_plan.h"
#include "sim/report/compare_table.h"
#include "sim/report/progress.h"
#include "sim/report/result_io.h"

namespace distsim::cli {
namespace {

// The cache folder scripts/get-mnist.sh fills: $XDG_CACHE_HOME/distsim or ~/.cache/distsim.
std::string CacheRoot() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg) {
    return absl::StrCat(xdg, "/distsim");
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home) {
    return absl::StrCat(home, "/.cache/distsim");
  }
  return ".cache/distsim";
}

// Absolute, so that processes started elsewhere find the same folder.
// The object cache (sim/node/channels.h): beside the MNIST cache, shared by every run.
std::string ObjectsDir() { return absl::StrCat(CacheRoot(), "/objects"); }

}  // namespace

// The RunConfig `command` runs: the file (a RunConfig, else an error naming the command for its
// kind), --set fragments in order, then --workers, defaults and validation.
absl::StatusOr<RunConfig> LoadWithFlags(const RunFlags& flags, const char* command) {
  DS_RETURN_IF_ERROR(
      config::ExpectConfigKind(flags.config_path, command, {config::ConfigKind::kRun}));
  DS_ASSIGN_OR_RETURN(RunConfig config, config::LoadRunConfig(flags.config_path));
  for (const std::string& text : flags.overrides) {
    DS_RETURN_IF_ERROR(config::ApplyOverride(&config, text));
  }
  if (flags.workers > 0) config.set_workers(flags.workers);
  if (!flags.output_dir.empty()) config.set_output_dir(flags.output_dir);
  config = config::WithDefaults(std::move(config));
  absl::Status valid = config::ValidateRunConfig(config);
  if (!valid.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(flags.config_path, ": ", valid.message()));
  }
  return config;
}

std::string DataDirFor(const RunConfig& config, const RunFlags& flags) {
  std::string dir = flags.data_dir;
  if (dir.empty()) {
    const char* env = std::getenv("DISTSIM_DATA_DIR");
    std::string mnist_default =
        env != nullptr && *env ? std::string(env) : absl::StrCat(CacheRoot(), "/mnist");
    dir = config::ResolveDataDir(config, flags.config_path, mnist_default,
                                 absl::StrCat(CacheRoot(), "/fashion-mnist"));
  }
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(dir, ec);
  return ec ? dir : absolute.lexically_normal().string();
}

absl::Status RunCommand(const RunFlags& flags) {
  DS_ASSIGN_OR_RETURN(RunConfig config, LoadWithFlags(flags, "run"));
  node::RunOptions options;
  options.data_dir = DataDirFor(config, flags);
  options.objects_dir = ObjectsDir();
  options.out_dir = (std::filesystem::path(config.output_dir()) / config.name()).string();
  options.progress = flags.quiet ? nullptr : stderr;
  options.progress_every_steps = config.train().log_every_steps();
  options.command_line = flags.command_line;
  options.stop = InstallStopSignals();
  options.stop_at_next_checkpoint = [] { return StopSignal() == SIGTERM; };
  options.resume = flags.resume;

  if (!flags.quiet) {
    std::fprintf(stderr, "distsim run %s: %s, data from %s, results to %s\n", config.name().c_str(),
                 config.model().ShortDebugString().c_str(), options.data_dir.c_str(),
                 options.out_dir.c_str());
  }
  absl::StatusOr<RunResult> result = node::Run(config, options);
  if (!result.ok()) {
    if (result.status().code() == absl::StatusCode::kNotFound &&
        config.data().dataset() == DataConfig::MNIST && flags.data_dir.empty() &&
        config.data().dir().empty()) {
      return absl::NotFoundError(absl::StrCat(result.status().message(),
                                              " (fetch MNIST with scripts/get-mnist.sh, or give "
                                              "--data-dir)"));
    }
    return result.status();
  }
  if (flags.json) {
    std::cout << report::ResultToJson(*result) << std::endl;
  } else {
    PrintSummary(*result, options.out_dir);
  }
  return absl::OkStatus();
}

absl::Status CoordinatorCommand(const RunFlags& flags, const std::string& listen,
                                comm::TlsFiles tls) {
  DS_RETURN_IF_ERROR(ReadTlsFiles(&tls));
  DS_ASSIGN_OR_RETURN(RunConfig config, LoadWithFlags(flags, "coordinator"));
  if (!node::IsDistributed(config)) {
    return absl::InvalidArgumentError(
        absl::StrCat(flags.config_path, ": strategy: the coordinator runs distributed configs"));
  }
  node::DistributedRunOptions options;
  options.data_dir = DataDirFor(config, flags);
  options.objects_dir = ObjectsDir();
  options.out_dir = (std::filesystem::path(config.output_dir()) / config.name()).string();
  options.progress = flags.quiet ? nullptr : stderr;
  options.command_line = flags.command_line;
  options.stop = InstallStopSignals();
  options.stop_at_next_checkpoint = [] { return StopSignal() == SIGTERM; };
  options.listen = listen;
  options.tls = std::move(tls);
  options.registration_timeout_s = 600;  // people start the roles by hand
  if (flags.json) options.announce_json = stdout;
  // A token from the environment (a Kubernetes Secret, for a TFJob's replicas) is the run's;
  // without one the coordinator makes one and writes it to out/<name>/token.
  if (std::getenv(node::kTokenEnv) != nullptr || std::getenv(node::kTokenFileEnv) != nullptr) {
    DS_ASSIGN_OR_RETURN(options.token, RunTokenFromEnvironment());
  }
  DS_ASSIGN_OR_RETURN(RunResult result, node::RunDistributed(config, options));
  if (flags.json) {
    std::cout << report::ResultToJson(result) << std::endl;
  } else {
    PrintSummary(result, options.out_dir);
  }
  return absl::OkStatus();
}

absl::Status CompareCommand(const RunFlags& flags) {
  CompareConfig compare;
  DS_ASSIGN_OR_RETURN(std::vector<config::CompareEntry> entries,
                      LoadCompareWithFlags(flags, &compare));
  int runs = 0;
  for (const config::CompareEntry& e : entries) runs += e.repeats;
  const double estimate = app::EstimateSeconds(
      entries, [&flags](const RunConfig& run) { return DataDirFor(run, flags); });
  app::CompareOptions options;
  options.out_dir = (std::filesystem::path(compare.output_dir()) / compare.name()).string();
  options.data_dir = [&flags](const RunConfig& run) { return DataDirFor(run, flags); };
  options.objects_dir = ObjectsDir();
  options.progress = flags.quiet ? nullptr : stderr;
  options.command_line = flags.command_line;
  options.stop = InstallStopSignals();
  if (!flags.quiet) {
    std::fprintf(stderr, "distsim compare %s: %zu entr%s, %d run%s with repeats, estimated %s%s\n",
                 compare.name().c_str(), entries.size(), entries.size() == 1 ? "y" : "ies", runs,
                 runs == 1 ? "" : "s", report::Progress::FormatDuration(estimate).c_str(),
                 estimate > 600 ? " (long: shorten train.steps or epochs for a quick look)" : "");
  }
  DS_ASSIGN_OR_RETURN(CompareResult result, app::RunCompare(compare, entries, options));
  if (flags.json) {
    std::fputs(report::MessageToJson(result).c_str(), stdout);
    return absl::OkStatus();
  }
  PrintCompare(result);
  std::printf("took %s; wrote %s/compare.json, compare.csv and report.html\n",
              report::Progress::FormatDuration(result.wall_seconds()).c_str(),
              options.out_dir.c_str());
  return absl::OkStatus();
}

absl::Status ReportCommand(const std::string& path, bool json) {
  std::string out_dir;
  DS_ASSIGN_OR_RETURN(CompareResult result, app::ReportCompare(path, &out_dir));
  if (json) {
    std::fputs(report::MessageToJson(result).c_str(), stdout);
    return absl::OkStatus();
  }
  PrintCompare(result);
  std::printf("wrote %s/compare.json, compare.csv and report.html (%d runs, none trained again)\n",
              out_dir.c_str(), result.runs_size());
  return absl::OkStatus();
}

// The PredictConfig of `distsim predict`: the file as one, or a plain RunConfig taken as the
// calibration run (no checks), with the flags applied.
absl::StatusOr<PredictConfig> LoadPredictConfig(const RunFlags& flags,
                                                const PredictFlags& predict) {
  DS_RETURN_IF_ERROR(config::ExpectConfigKind(
      flags.config_path, "predict", {config::ConfigKind::kPredict, config::ConfigKind::kRun}));
  PredictConfig config;
  absl::Status as_predict = config::LoadMessage(flags.config_path, &config);
  if (absl::IsNotFound(as_predict)) return as_predict;  // no file at all: exit 66, said once
  if (!as_predict.ok()) {
    absl::StatusOr<RunConfig> run = config::LoadRunConfig(flags.config_path);
    if (!run.ok()) {
      // Report the error of the kind the file says it is, else of both.
      return absl::InvalidArgumentError(absl::StrCat(
          "neither a distsim.PredictConfig nor a distsim.RunConfig:\n  as PredictConfig: ",
          as_predict.message(), "\n  as RunConfig: ", run.status().message()));
    }
    config.set_name(run->name().empty() ? "predict" : absl::StrCat(run->name(), "_predict"));
    config.set_output_dir(run->output_dir());
    *config.mutable_calibration() = *run;
  }
  for (const std::string& text : flags.overrides) {
    DS_RETURN_IF_ERROR(config::ApplyOverride(config.mutable_calibration(), text));
  }
  if (!flags.output_dir.empty()) config.set_output_dir(flags.output_dir);
  if (config.output_dir().empty()) config.set_output_dir("out");
  if (config.name().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(flags.config_path, ": name: empty"));
  }
  if (!predict.workers.empty()) {
    config.clear_workers();
    for (absl::string_view part : absl::StrSplit(predict.workers, ',')) {
      uint32_t n = 0;
      if (!absl::SimpleAtoi(part, &n) || n < 1 || n > 100000) {
        return absl::InvalidArgumentError(absl::StrCat("--workers ", predict.workers, ": \"", part,
                                                       "\" is not a worker count in [1, 100000]"));
      }
      config.add_workers(n);
    }
  }
  if (predict.servers > 0) config.set_servers(predict.servers);
  return config;
}

absl::Status PredictCommand(const RunFlags& flags, const PredictFlags& predict) {
  DS_ASSIGN_OR_RETURN(const PredictConfig config, LoadPredictConfig(flags, predict));
  app::PredictOptions options;
  options.out_dir = (std::filesystem::path(config.output_dir()) / config.name()).string();
  options.data_dir = [&flags](const RunConfig& run) { return DataDirFor(run, flags); };
  options.objects_dir = ObjectsDir();
  options.progress = flags.quiet ? nullptr : stderr;
  options.command_line = flags.command_line;
  options.stop = InstallStopSignals();
  options.run_checks = !predict.no_checks;
  options.repeat = predict.repeat;
  DS_ASSIGN_OR_RETURN(PredictResult result, app::RunPredict(config, options));
  if (flags.json) {
    std::fputs(report::MessageToJson(result).c_str(), stdout);
    return absl::OkStatus();
  }
  std::printf("\n%s", app::FormatPredict(result).c_str());
  std::printf(
      "wrote %s/predict.html (open it in a browser), predict.json, predict.csv and "
      "predict.txt\n",
      options.out_dir.c_str());
  return absl::OkStatus();
}

absl::Status RoleCommand(bool server, node::RoleFlags flags) {
  // A file of another kind is named as such before anything else is read.
  DS_RETURN_IF_ERROR(config::ExpectConfigKind(flags.config_path, server ? "server" : "worker",
                                              {config::ConfigKind::kRun}));
  // The token comes from the environment, never the command line (which `ps` shows everyone).
  DS_ASSIGN_OR_RETURN(flags.token, RunTokenFromEnvironment());
  DS_RETURN_IF_ERROR(ReadTlsFiles(&flags.tls));
  if (flags.data_dir.empty()) {
    const char* env = std::getenv("DISTSIM_DATA_DIR");
    flags.data_dir =
        env != nullptr && *env ? std::string(env) : absl::StrCat(CacheRoot(), "/mnist");
  }
  return server ? node::RunServerRole(flags) : node::RunWorkerRole(flags);
}

absl::Status PlanCommand(const RunFlags& flags) {
  DS_ASSIGN_OR_RETURN(RunConfig config, LoadWithFlags(flags, "plan"));
  if (flags.json) {
    DS_ASSIGN_OR_RETURN(const std::string json, app::PlanJson(config, DataDirFor(config, flags)));
    std::fputs(json.c_str(), stdout);
    return absl::OkStatus();
  }
  DS_ASSIGN_OR_RETURN(std::string plan, app::FormatPlan(config, DataDirFor(config, flags)));
  std::fputs(plan.c_str(), stdout);
  for (const std::string& note : config::Advice(config)) std::printf("note: %s\n", note.c_str());
  return absl::OkStatus();
}

}  // namespace distsim::cli
