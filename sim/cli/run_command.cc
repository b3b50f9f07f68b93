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
#include "sim/config/compare.h"
#include "sim/config/config.h"
#include "sim/node/distributed_run.h"
#include "sim/node/local_trainer.h"
#include "sim/node/role_common.h"
#include "sim/node/run.h"
#include "sim/node/run_plan.h"
#include "sim/report/chance.h"
#include "sim/report/compare_table.h"
#include "sim/report/progress.h"
#include "sim/report/result_io.h"

namespace distsim::cli {
namespace {

std::atomic<bool> g_stop{false};

void OnInterrupt(int) {
  g_stop.store(true);
  std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C ends the process at once
}

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

absl::StatusOr<RunConfig> LoadWithFlags(const RunFlags& flags) {
  DS_ASSIGN_OR_RETURN(RunConfig config, config::LoadRunConfig(flags.config_path));
  for (const std::string& text : flags.overrides) {
    DS_RETURN_IF_ERROR(config::ApplyOverride(&config, text));
  }
  if (!flags.output_dir.empty()) config.set_output_dir(flags.output_dir);
  config = config::WithDefaults(std::move(config));
  absl::Status valid = config::ValidateRunConfig(config);
  if (!valid.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(flags.config_path, ": ", valid.message()));
  }
  return config;
}

// Absolute, so that processes started elsewhere find the same folder.
// The object cache (sim/node/channels.h): beside the MNIST cache, shared by every run.
std::string ObjectsDir() { return absl::StrCat(CacheRoot(), "/objects"); }

}  // namespace

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

namespace {

// A comparison's table (claims included) and its findings, on stdout.
void PrintCompare(const CompareResult& result) {
  std::printf("\n%s", report::FormatCompareTable(result).c_str());
  if (result.findings_size() > 0) std::printf("\nwhat the numbers show:\n");
  for (const std::string& finding : result.findings()) std::printf("  - %s\n", finding.c_str());
}

// The distributed run's step split, bytes per step and staleness.
void PrintExchange(const RunResult& r) {
  if (r.worker_stats_size() == 0) return;
  const TimeSplit& t = r.time_split();
  std::printf(
      "  step time: compute %.0f%%  communication %.0f%%  waiting %.0f%%  data %.0f%%  "
      "update %.0f%%\n",
      100 * t.compute(), 100 * t.communication(), 100 * t.waiting(), 100 * t.data(),
      100 * t.update());
  double bytes = 0;
  for (const WorkerStats& w : r.worker_stats()) bytes += w.bytes_per_step();
  std::printf("  bytes on the wire per worker per step: %.0f\n", bytes / r.worker_stats_size());
  if (r.staleness().updates() > 0) {
    std::printf("  staleness of %llu updates: mean %.2f  p99 %.0f  max %llu\n",
                static_cast<unsigned long long>(r.staleness().updates()), r.staleness().mean(),
                r.staleness().p99(), static_cast<unsigned long long>(r.staleness().max()));
  }
}

// The modelled clock of the run on its simulated cluster, if it has one.
void PrintModelled(const RunResult& r) {
  if (!(r.has_modelled() && r.modelled().seconds() > 0)) return;
  const ModelledClock& m = r.modelled();
  std::string on = m.instance_type().empty()
                       ? std::string("this machine's cores")
                       : absl::StrFormat("%u x %s", m.hosts(), m.instance_type());
  std::printf(
      "  modelled on %s (%s clock, %g Gbit/s, %g us): %.2f s, %.0f samples/s, step "
      "%.3f ms;\n    compute %.0f%%  communication %.0f%%  waiting %.0f%%  (%s)%s\n",
      on.c_str(), m.clock_mode().c_str(), m.bandwidth_gbps(), m.latency_us(), m.seconds(),
      m.samples_per_second(), m.step_ms_mean(), 100 * m.compute_share(),
      100 * m.communication_share(), 100 * m.waiting_share(), m.order().c_str(),
      m.cost_usd() > 0 ? absl::StrFormat("  cost $%.4f", m.cost_usd()).c_str() : "");
}

// What a person should notice (a run that learned nothing, dropped pushes) and the memory the
// run's processes held.
void PrintNotes(const RunResult& r) {
  if (const std::string note = report::ChanceNote(r); !note.empty()) {
    std::printf("  note: %s\n", note.c_str());
  }
  if (r.memory().processes() > 0) {
    const MemoryStats& m = r.memory();
    std::printf("  memory %u processes: %.1f MB PSS in all (%.1f MB each on average, at most %.1f "
                "MB), launcher %.1f MB\n",
                m.processes(), m.pss_total_bytes() / 1e6,
                m.pss_total_bytes() / 1e6 / m.processes(), m.pss_max_bytes() / 1e6,
                m.launcher_pss_bytes() / 1e6);
  }
  uint64_t skipped = 0;
  for (const ServerStats& s : r.server_stats()) skipped += s.pushes_skipped();
  if (skipped > 0) {
    std::printf("  note: %llu push(es) held a non-finite gradient and were dropped, not applied "
                "(parameter_server.on_bad_gradient SKIP)\n",
                static_cast<unsigned long long>(skipped));
  }
}

void PrintSummary(const RunResult& r, const std::string& out_dir) {
  std::printf("\n%s: %s, %s\n", r.config().name().c_str(),
              r.config().model().ShortDebugString().c_str(),
              r.strategy().empty() ? "local" : r.strategy().c_str());
  std::printf("  steps %llu  samples %llu  epochs %.2f  parameters %llu\n",
              static_cast<unsigned long long>(r.steps()),
              static_cast<unsigned long long>(r.samples()), r.epochs(),
              static_cast<unsigned long long>(r.parameter_count()));
  std::printf("  final test accuracy %.2f%%  test loss %.4f  train loss %.4f\n",
              100.0 * r.final_test_accuracy(), r.final_test_loss(), r.final_train_loss());
  PrintNotes(r);
  std::printf(
      "  wall %.1f s (training %.1f s, evaluation %.1f s)  %.0f samples/s overall, %.0f "
      "in training steps\n",
      r.wall_seconds(), r.train_seconds(), r.eval_seconds(), r.samples_per_second(),
      r.train_seconds() > 0 ? r.samples() / r.train_seconds() : 0.0);
  std::printf("  step time p50 %.3f ms  p90 %.3f ms  p99 %.3f ms (after %u warm-up steps)\n",
              r.step_times().p50_ms(), r.step_times().p90_ms(), r.step_times().p99_ms(),
              r.step_times().warmup_steps());
  PrintExchange(r);
  PrintModelled(r);
  if (r.nic_bytes() > 0) {
    uint64_t sent = 0;
    for (const WorkerStats& w : r.worker_stats()) sent += w.bytes_sent();
    std::printf("  bytes sent by the workers: %llu by the RPC layer, %llu across simulated NICs\n",
                static_cast<unsigned long long>(sent),
                static_cast<unsigned long long>(r.nic_bytes()));
  }
  for (const std::string& f : r.faults()) std::printf("  fault: %s\n", f.c_str());
  for (uint32_t w : r.workers_lost()) {
    std::printf("  lost worker %u; the run went on without it\n", w);
  }
  if (!out_dir.empty()) {
    std::printf("  wrote %s/result.json and %s/steps.csv\n", out_dir.c_str(), out_dir.c_str());
  }
}

}  // namespace

absl::Status RunCommand(const RunFlags& flags) {
  DS_ASSIGN_OR_RETURN(RunConfig config, LoadWithFlags(flags));
  node::RunOptions options;
  options.data_dir = DataDirFor(config, flags);
  options.objects_dir = ObjectsDir();
  options.out_dir = (std::filesystem::path(config.output_dir()) / config.name()).string();
  options.progress = flags.quiet ? nullptr : stderr;
  options.progress_every_steps = config.train().log_every_steps();
  options.command_line = flags.command_line;
  options.stop = &g_stop;
  std::signal(SIGINT, OnInterrupt);
  std::signal(SIGTERM, OnInterrupt);

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
  DS_ASSIGN_OR_RETURN(RunConfig config, LoadWithFlags(flags));
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
  options.stop = &g_stop;
  options.listen = listen;
  options.tls = std::move(tls);
  options.registration_timeout_s = 600;  // people start the roles by hand
  // A token from the environment (a Kubernetes Secret, for a TFJob's replicas) is the run's;
  // without one the coordinator makes one and writes it to out/<name>/token.
  if (std::getenv(node::kTokenEnv) != nullptr || std::getenv(node::kTokenFileEnv) != nullptr) {
    DS_ASSIGN_OR_RETURN(options.token, RunTokenFromEnvironment());
  }
  std::signal(SIGINT, OnInterrupt);
  std::signal(SIGTERM, OnInterrupt);
  DS_ASSIGN_OR_RETURN(RunResult result, node::RunDistributed(config, options));
  PrintSummary(result, options.out_dir);
  return absl::OkStatus();
}

absl::Status CompareCommand(const RunFlags& flags) {
  CompareConfig compare;
  DS_ASSIGN_OR_RETURN(std::vector<config::CompareEntry> entries,
                      config::LoadCompare(flags.config_path, &compare));
  if (!flags.output_dir.empty()) compare.set_output_dir(flags.output_dir);
  int runs = 0;
  for (const config::CompareEntry& e : entries) runs += e.repeats;
  const double estimate = app::EstimateSeconds(entries);
  app::CompareOptions options;
  options.out_dir = (std::filesystem::path(compare.output_dir()) / compare.name()).string();
  options.data_dir = [&flags](const RunConfig& run) { return DataDirFor(run, flags); };
  options.objects_dir = ObjectsDir();
  options.progress = flags.quiet ? nullptr : stderr;
  options.command_line = flags.command_line;
  options.stop = &g_stop;
  std::signal(SIGINT, OnInterrupt);
  std::signal(SIGTERM, OnInterrupt);
  if (!flags.quiet) {
    std::fprintf(stderr, "distsim compare %s: %zu entr%s, %d run%s with repeats, estimated %s%s\n",
                 compare.name().c_str(), entries.size(), entries.size() == 1 ? "y" : "ies", runs,
                 runs == 1 ? "" : "s", report::Progress::FormatDuration(estimate).c_str(),
                 estimate > 600 ? " (long: shorten train.steps or epochs for a quick look)" : "");
  }
  DS_ASSIGN_OR_RETURN(CompareResult result, app::RunCompare(compare, entries, options));
  PrintCompare(result);
  std::printf("took %s; wrote %s/compare.json, compare.csv and report.html\n",
              report::Progress::FormatDuration(result.wall_seconds()).c_str(),
              options.out_dir.c_str());
  return absl::OkStatus();
}

absl::Status ReportCommand(const std::string& path) {
  std::string out_dir;
  DS_ASSIGN_OR_RETURN(CompareResult result, app::ReportCompare(path, &out_dir));
  PrintCompare(result);
  std::printf("wrote %s/compare.json, compare.csv and report.html (%d runs, none trained again)\n",
              out_dir.c_str(), result.runs_size());
  return absl::OkStatus();
}

// The PredictConfig of `distsim predict`: the file as one, or a plain RunConfig taken as the
// calibration run (no checks), with the flags applied.
absl::StatusOr<PredictConfig> LoadPredictConfig(const RunFlags& flags,
                                                const PredictFlags& predict) {
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
  options.stop = &g_stop;
  options.run_checks = !predict.no_checks;
  std::signal(SIGINT, OnInterrupt);
  std::signal(SIGTERM, OnInterrupt);
  DS_ASSIGN_OR_RETURN(PredictResult result, app::RunPredict(config, options));
  std::printf("\n%s", app::FormatPredict(result).c_str());
  std::printf(
      "wrote %s/predict.html (open it in a browser), predict.json, predict.csv and "
      "predict.txt\n",
      options.out_dir.c_str());
  return absl::OkStatus();
}

absl::Status RoleCommand(bool server, node::RoleFlags flags) {
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
  DS_ASSIGN_OR_RETURN(RunConfig config, LoadWithFlags(flags));
  DS_ASSIGN_OR_RETURN(std::string plan, app::FormatPlan(config, DataDirFor(config, flags)));
  std::fputs(plan.c_str(), stdout);
  for (const std::string& note : config::Advice(config)) std::printf("note: %s\n", note.c_str());
  return absl::OkStatus();
}

absl::Status CheckCommand(const RunFlags& flags) {
  DS_ASSIGN_OR_RETURN(RunConfig config, LoadWithFlags(flags));
  std::string text;
  google::protobuf::TextFormat::PrintToString(config, &text);
  std::printf("# %s is valid; with defaults filled in:\n%s", flags.config_path.c_str(),
              text.c_str());
  std::printf("# data from %s\n", DataDirFor(config, flags).c_str());
  return absl::OkStatus();
}

}  // namespace distsim::cli
