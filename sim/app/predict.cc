#include "sim/app/predict.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "sim/app/predict_repeats.h"
#include "sim/base/status.h"
#include "sim/config/compare.h"
#include "sim/config/config.h"
#include "sim/data/dataset.h"
#include "sim/node/data_source.h"
#include "sim/node/link_probe.h"
#include "sim/node/machine_load.h"
#include "sim/node/modelled.h"
#include "sim/node/provenance.h"
#include "sim/node/run.h"
#include "sim/node/run_plan.h"
#include "sim/report/predict_report.h"
#include "sim/report/result_io.h"

namespace distsim::app {

using node::DescribeStrategy;

namespace {

// How a check differs from the calibration: "4 workers, 1 Gbit/s"; "as calibrated".
std::string Describe(const RunConfig& base, const RunConfig& check) {
  std::vector<std::string> parts;
  if (check.workers() != base.workers()) parts.push_back(absl::StrCat(check.workers(), " workers"));
  if (check.model().ShortDebugString() != base.model().ShortDebugString()) {
    parts.push_back(absl::StrCat("model ", check.model().ShortDebugString()));
  }
  if (check.cluster().network().bandwidth_gbps() != base.cluster().network().bandwidth_gbps()) {
    parts.push_back(absl::StrFormat("%g Gbit/s", check.cluster().network().bandwidth_gbps()));
  }
  if (DescribeStrategy(check) != DescribeStrategy(base)) parts.push_back(DescribeStrategy(check));
  if (check.train().batch_size() != base.train().batch_size()) {
    parts.push_back(absl::StrCat("batch ", check.train().batch_size()));
  }
  return parts.empty() ? "as calibrated" : absl::StrJoin(parts, ", ");
}

}  // namespace

std::vector<std::string> PredictFindings(const PredictResult& result) {
  std::vector<std::string> out;
  // Where each strategy's efficiency first drops below 50%, and what limits it there.
  for (const char* strategy : {"ring", "ps SYNC", "ps ASYNC"}) {
    const PredictRow* last = nullptr;
    const PredictRow* knee = nullptr;
    for (const PredictRow& row : result.rows()) {
      if (row.strategy() != strategy) continue;
      last = &row;
      if (knee == nullptr && row.efficiency() < 0.5) knee = &row;
    }
    if (last == nullptr) continue;
    if (knee != nullptr) {
      out.push_back(absl::StrFormat(
          "%s: below 50%% scaling efficiency from %u worker%s (%.0f%%, limited by %s); at %u "
          "workers %.0f%%, %.0f samples/s",
          strategy, knee->workers(), knee->workers() == 1 ? "" : "s", 100 * knee->efficiency(),
          knee->bottleneck(), last->workers(), 100 * last->efficiency(),
          last->samples_per_second()));
    } else {
      out.push_back(
          absl::StrFormat("%s: at least 50%% efficient up to %u workers (%.0f%% there, "
                          "%.0f samples/s, limited by %s)",
                          strategy, last->workers(), 100 * last->efficiency(),
                          last->samples_per_second(), last->bottleneck()));
    }
  }
  if (result.checks_size() > 0) {
    double worst = 0;
    std::string worst_name;
    int too_busy = 0;
    for (const PredictCheck& c : result.checks()) {
      if (c.measured_step_ms() <= 0) continue;
      if (!c.too_busy().empty()) {
        ++too_busy;
        continue;
      }
      if (std::abs(c.error()) >= std::abs(worst)) {
        worst = c.error();
        worst_name = c.name();
      }
    }
    if (!worst_name.empty()) {
      out.push_back(absl::StrFormat(
          "held-out checks: the largest error is %+.1f%% (%s)%s", 100 * worst, worst_name,
          std::abs(worst) <= 0.15 ? ", within 15%" : ", beyond 15%: the model misses something"));
    }
    if (too_busy > 0) {
      out.push_back(absl::StrFormat(
          "%d of %d held-out checks were measured on a machine too busy to judge the model "
          "(marked too_busy; not counted above)",
          too_busy, result.checks_size()));
    }
  }
  return out;
}

namespace {

void Say(const PredictOptions& options, const std::string& line) {
  if (options.progress != nullptr) std::fprintf(options.progress, "%s\n", line.c_str());
}

// One run of predict (the calibration or a check), in a folder of options.out_dir.
absl::StatusOr<RunResult> RunOne(const RunConfig& run_config, const PredictOptions& options) {
  node::RunOptions common;
  common.progress = options.progress;
  common.command_line = options.command_line;
  common.stop = options.stop;
  common.executable = options.executable;
  common.objects_dir = options.objects_dir;
  return node::RunInto(run_config, options.out_dir, options.data_dir(run_config), common);
}

// The calibration run (entry 0) and the checks: the calibration config with overrides.
// ExpandCompare validates them as a comparison's runs would be, naming the entry and field of
// any problem.
absl::StatusOr<std::vector<config::CompareEntry>> ExpandRuns(const PredictConfig& config) {
  CompareConfig as_compare;
  as_compare.set_name(config.name());
  as_compare.set_output_dir(config.output_dir());
  *as_compare.mutable_base() = config.calibration();
  as_compare.mutable_base()->set_name("calibration");
  CompareRun* calibration_entry = as_compare.add_runs();
  calibration_entry->set_name("calibration");
  for (const CompareRun& check : config.checks()) *as_compare.add_runs() = check;
  return config::ExpandCompare(config::WithCompareDefaults(as_compare), config.name());
}

// The Calibration summary of predict.json from the calibration run and the fitted probe.
void Summarize(const RunConfig& calibration, const RunResult& cal_run, const Calibrated& cal,
               const ModelSize& cal_size, const node::LinkProbe& probe, double fit_error,
               uint64_t steps, double cpu, Calibration* summary) {
  const NetworkConfig& net = calibration.cluster().network();
  summary->set_source(
      absl::StrFormat("%s, %d steps per worker, %s network%s", DescribeStrategy(calibration),
                      cal_run.steps(), absl::StrFormat("%g Gbit/s", net.bandwidth_gbps()),
                      net.shape() ? " (shaped)" : " (modelled only; probe on loopback)"));
  summary->set_compute_s_per_sample(cpu / steps / calibration.train().batch_size());
  summary->set_train_gflop_per_sample(cal_size.flops_per_example / 1e9);
  summary->set_effective_gflops(1 / cal.cpu_s_per_gflop);
  summary->set_alpha_s(cal.probe.alpha_s);
  summary->set_beta_s_per_byte(cal.probe.bytes_per_s > 0 ? 1 / cal.probe.bytes_per_s : 0);
  summary->set_model_bytes(4 * cal_size.parameters);
  summary->set_fit_error(fit_error);
  summary->set_probe_repeats(probe.repeats);
  summary->set_probe_spread(probe.spread);
  summary->set_compute_clock("thread CPU time of each worker's compute (CLOCK_THREAD_CPUTIME_ID)");
}

// Step 1: the calibration run, then the link probe; fills `summary`.
absl::StatusOr<Calibrated> Calibrate(const RunConfig& calibration, const PredictOptions& options,
                                     Calibration* summary) {
  *summary->mutable_load() = node::ReadMachineLoad();
  Say(options, absl::StrCat("calibration run: ", DescribeStrategy(calibration), " (",
                            node::DescribeLoad(summary->load()), ")"));
  DS_ASSIGN_OR_RETURN(RunResult cal_run, RunOne(calibration, options));
  Say(options, absl::StrCat("link probe: messages of 4 KiB to 1 MiB between two simulated hosts, ",
                            kProbeRepeats, " times"));
  DS_ASSIGN_OR_RETURN(const node::LinkProbe link, node::ProbeLink(calibration, kProbeRepeats));
  double fit_error = 0;
  DS_ASSIGN_OR_RETURN(model::Network probe, model::FitAlphaBeta(link.medians, &fit_error));

  Calibrated cal;
  const uint64_t steps =
      cal_run.samples() / std::max<uint32_t>(1, calibration.train().batch_size());
  const double cpu = cal_run.compute_cpu_seconds();
  if (steps == 0 || cpu <= 0) {
    return absl::FailedPreconditionError("calibration run: no training steps were recorded");
  }
  DS_ASSIGN_OR_RETURN(const ModelSize cal_size, SizeOf(calibration.model()));
  const double gflop_per_step = cal_size.flops_per_example * calibration.train().batch_size() / 1e9;
  cal.cpu_s_per_gflop = cpu / steps / gflop_per_step;
  cal.host_gemm_gflops = cal_run.modelled().host_gemm_gflops();
  cal.probe = probe;
  const NetworkConfig& net = calibration.cluster().network();
  cal.probe_latency_s = net.shape() ? net.latency_us() * 1e-6 : 0;
  cal.probe_bandwidth_bps = net.shape() ? node::NicModelOf(net).bytes_per_s : 0;
  Summarize(calibration, cal_run, cal, cal_size, link, fit_error, steps, cpu, summary);
  return cal;
}

// The at-scale config: the calibration with the at_scale overrides, defaulted and validated.
absl::StatusOr<RunConfig> AtScaleConfig(const PredictConfig& config) {
  RunConfig at_scale = config.calibration();
  config::MergeOverrides(config.at_scale(), &at_scale);
  at_scale.set_name("at_scale");
  at_scale = config::WithDefaults(std::move(at_scale));
  if (absl::Status valid = config::ValidateRunConfig(at_scale); !valid.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(config.name(), ": at_scale: ", valid.message()));
  }
  return at_scale;
}

// Step 2: the rows at scale, for the configured worker counts (default 1 .. 256).
absl::Status AddAtScale(const PredictConfig& config, const Calibrated& cal,
                        const PredictOptions& options, PredictResult* result) {
  std::vector<uint32_t> workers(config.workers().begin(), config.workers().end());
  if (workers.empty()) {
    for (uint32_t n = 1; n <= 256; n *= 2) workers.push_back(n);
  }
  DS_ASSIGN_OR_RETURN(RunConfig at_scale, AtScaleConfig(config));
  *result->mutable_at_scale() = at_scale;
  // An epoch of the table: one pass over the at-scale config's training set, all workers
  // together.
  DS_ASSIGN_OR_RETURN(const std::string idx_dir,
                      node::IdxDirOf(at_scale, options.data_dir(at_scale)));
  DS_ASSIGN_OR_RETURN(auto at_scale_data,
                      data::OpenIdxDir(idx_dir, at_scale.data().train_limit(),
                                       at_scale.data().test_limit(), node::NumClasses(at_scale)));
  const int64_t examples_per_epoch = at_scale_data.first.size();
  for (PredictRow& row : PredictAtScale(
           cal, at_scale, workers, std::max<uint32_t>(1, config.servers()), examples_per_epoch)) {
    *result->add_rows() = std::move(row);
  }
  return absl::OkStatus();
}

// One run of a held-out check: predicted with the machine's load read first, then run (the
// repeats after the first in folders of their own, "<name>_repeat2", ...).
absl::StatusOr<PredictRepeat> RunRepeat(const RunConfig& check, int repeat, const Calibrated& cal,
                                        const PredictOptions& options) {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  PredictRepeat r;
  *r.mutable_load() = node::ReadMachineLoad();
  r.set_predicted_step_ms(1e3 * PredictHere(cal, check, cores).step_s());
  if (!options.run_checks) return r;
  RunConfig run = check;
  if (repeat > 0) run.set_name(absl::StrCat(check.name(), "_repeat", repeat + 1));
  Say(options, absl::StrFormat("check %s, run %d of %d: predicted step %.2f ms; running it (%s)",
                               check.name(), repeat + 1, options.repeat, r.predicted_step_ms(),
                               node::DescribeLoad(r.load())));
  DS_ASSIGN_OR_RETURN(RunResult measured, RunOne(run, options));
  r.set_measured_step_ms(measured.step_times().mean_ms());
  if (r.measured_step_ms() > 0) {
    r.set_error((r.predicted_step_ms() - r.measured_step_ms()) / r.measured_step_ms());
  }
  return r;
}

// Step 3: the held-out checks (entries 1 ..), each predicted first, then run options.repeat
// times unless the options say not to, and summarized over its repeats.
absl::Status AddChecks(const std::vector<config::CompareEntry>& entries, const Calibrated& cal,
                       const PredictOptions& options, PredictResult* result) {
  const RunConfig& calibration = entries[0].config;
  for (size_t i = 1; i < entries.size(); ++i) {
    const RunConfig& check = entries[i].config;
    PredictCheck* c = result->add_checks();
    c->set_name(entries[i].name);
    c->set_setup(entries[i].description.empty() ? Describe(calibration, check)
                                                : entries[i].description);
    const int repeats = options.run_checks ? std::max(1, options.repeat) : 1;
    for (int r = 0; r < repeats; ++r) {
      DS_ASSIGN_OR_RETURN(*c->add_repeats(), RunRepeat(check, r, cal, options));
    }
    SummarizeRepeats(result->calibration().probe_spread(), c);
  }
  return absl::OkStatus();
}

// predict.csv: one line per row at scale.
std::string FormatPredictCsv(const PredictResult& result) {
  std::string csv =
      "strategy,workers,servers,step_s,compute_s,communication_s,samples_per_second,efficiency,"
      "epoch_s,cost_per_epoch_usd,bottleneck,step_s_in_step\n";
  for (const PredictRow& r : result.rows()) {
    absl::StrAppendFormat(&csv, "%s,%u,%u,%.6g,%.6g,%.6g,%.6g,%.4f,%.6g,%.6g,%s,%.6g\n",
                          r.strategy(), r.workers(), r.servers(), r.step_s(), r.compute_s(),
                          r.communication_s(), r.samples_per_second(), r.efficiency(), r.epoch_s(),
                          r.cost_per_epoch_usd(), r.bottleneck(), r.step_s_in_step());
  }
  return csv;
}

// predict.json, predict.csv, predict.txt and predict.html of `result` in `out_dir`.
absl::Status WritePredictFiles(const PredictResult& result, const std::string& out_dir) {
  const std::filesystem::path dir(out_dir);
  DS_RETURN_IF_ERROR(report::EnsureDir(out_dir));
  DS_RETURN_IF_ERROR(
      report::WriteFileAtomic((dir / "predict.json").string(), report::MessageToJson(result)));
  DS_RETURN_IF_ERROR(
      report::WriteFileAtomic((dir / "predict.csv").string(), FormatPredictCsv(result)));
  DS_RETURN_IF_ERROR(
      report::WriteFileAtomic((dir / "predict.txt").string(), FormatPredict(result)));
  return report::WriteFileAtomic((dir / "predict.html").string(),
                                 report::RenderPredictReport(result));
}

}  // namespace

absl::StatusOr<PredictResult> RunPredict(const PredictConfig& config,
                                         const PredictOptions& options) {
  DS_ASSIGN_OR_RETURN(std::vector<config::CompareEntry> entries, ExpandRuns(config));
  const RunConfig& calibration = entries[0].config;
  PredictResult result;
  result.set_name(config.name());
  result.set_repeat(options.run_checks ? std::max(1, options.repeat) : 0);
  *result.mutable_load() = node::ReadMachineLoad();
  *result.mutable_config() = calibration;
  *result.mutable_provenance() = node::CollectProvenance(0, options.command_line);
  DS_ASSIGN_OR_RETURN(const Calibrated cal,
                      Calibrate(calibration, options, result.mutable_calibration()));
  DS_RETURN_IF_ERROR(AddAtScale(config, cal, options, &result));
  DS_RETURN_IF_ERROR(AddChecks(entries, cal, options, &result));
  for (std::string& f : PredictFindings(result)) result.add_findings(std::move(f));
  DS_RETURN_IF_ERROR(WritePredictFiles(result, options.out_dir));
  return result;
}

namespace {

// What the calibration measured: its source, the compute per sample and the fitted link.
std::string CalibrationText(const Calibration& c) {
  std::string out = absl::StrFormat("calibration: %s\n", c.source());
  absl::StrAppendFormat(
      &out,
      "  %s\n  compute %.3g ms per sample here (%.3g GFLOP per sample, %.1f GFLOP/s per worker "
      "thread)\n  link: alpha %.1f us, beta %.4g ns/B (%.3g Gbit/s), fit error %.1f%%; model "
      "%s per step\n",
      node::DescribeLoad(c.load()), 1e3 * c.compute_s_per_sample(), c.train_gflop_per_sample(),
      c.effective_gflops(), 1e6 * c.alpha_s(), 1e9 * c.beta_s_per_byte(),
      c.beta_s_per_byte() > 0 ? 8e-9 / c.beta_s_per_byte() : 0.0, 100 * c.fit_error(),
      absl::StrFormat("%.3g MB", c.model_bytes() / 1e6));
  absl::StrAppendFormat(&out,
                        "  compute timed in %s; link fitted on the medians of %u probes, spread "
                        "%.1f%% (p75 - p25 over the median, the largest of the sizes)\n",
                        c.compute_clock().empty() ? "thread CPU time" : c.compute_clock(),
                        c.probe_repeats(), 100 * c.probe_spread());
  return out;
}

// The table at scale: what it was predicted on, then one line per row.
std::string AtScaleText(const PredictResult& result) {
  const RunConfig& scaled = result.has_at_scale() ? result.at_scale() : result.config();
  const ClusterConfig& cluster = scaled.cluster();
  std::string out = absl::StrFormat(
      "\nmodel %s (%s per step), predicted on %s, %g Gbit/s, %g us (%s clock), "
      "batch %u per worker:\n",
      scaled.model().ShortDebugString(),
      absl::StrFormat("%.3g MB", 4e-6 * SizeOf(scaled.model()).value_or(ModelSize{}).parameters),
      cluster.instance_type().empty() ? "one core of this machine per worker"
                                      : cluster.instance_type(),
      cluster.network().bandwidth_gbps(), cluster.network().latency_us(),
      ClusterConfig::ClockMode_Name(cluster.clock()), scaled.train().batch_size());
  absl::StrAppendFormat(&out, "%-9s %7s %7s %10s %10s %9s %12s %6s %10s %10s  %s\n", "strategy",
                        "workers", "servers", "step ms", "in step ms", "comm ms", "samples/s",
                        "eff", "epoch s", "$/epoch", "bottleneck");
  for (const PredictRow& r : result.rows()) {
    absl::StrAppendFormat(
        &out, "%-9s %7u %7u %10.3f %10s %9.3f %12.0f %5.0f%% %10.2f %10.4f  %s\n", r.strategy(),
        r.workers(), r.servers(), 1e3 * r.step_s(),
        r.step_s_in_step() > 0 ? absl::StrFormat("%.3f", 1e3 * r.step_s_in_step()) : "",
        1e3 * r.communication_s(), r.samples_per_second(), 100 * r.efficiency(), r.epoch_s(),
        r.cost_per_epoch_usd(), r.bottleneck());
  }
  absl::StrAppend(&out,
                  "in step ms: ps ASYNC if its workers moved in step (all pull, then all push) "
                  "instead of spreading out; a real run lies between\n");
  return out;
}

}  // namespace

std::string FormatPredict(const PredictResult& result) {
  std::string out =
      absl::StrCat(CalibrationText(result.calibration()), AtScaleText(result), ChecksText(result));
  if (result.findings_size() > 0) out += "\nwhat the model shows:\n";
  for (const std::string& f : result.findings()) absl::StrAppendFormat(&out, "  - %s\n", f);
  return out;
}

}  // namespace distsim::app
