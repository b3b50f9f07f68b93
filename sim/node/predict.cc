#include "sim/node/predict.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "sim/base/clock.h"
#include "sim/base/status.h"
#include "sim/comm/nic.h"
#include "sim/comm/tcp_peer_link.h"
#include "sim/config/compare.h"
#include "sim/config/config.h"
#include "sim/config/instances.h"
#include "sim/data/dataset.h"
#include "sim/node/factory.h"
#include "sim/node/modelled.h"
#include "sim/node/run_plan.h"
#include "sim/node/provenance.h"
#include "sim/node/run.h"
#include "sim/report/predict_report.h"
#include "sim/report/result_io.h"

namespace distsim::node {
namespace {

// What the predictions need of a model, on MNIST-shaped data (28 x 28, 10 classes).
struct ModelSize {
  double flops_per_example = 0;  // training
  int64_t parameters = 0;
};

absl::StatusOr<ModelSize> SizeOf(const ModelConfig& model) {
  DS_ASSIGN_OR_RETURN(auto m, MakeModel(model, 28, 28, 10));
  return ModelSize{m->TrainFlopsPerExample(), m->layout().size()};
}


model::PredictStrategy StrategyOf(const RunConfig& config) {
  if (config.has_allreduce()) return model::PredictStrategy::kRing;
  if (config.parameter_server().mode() == ParameterServerStrategy::SYNC) {
    return model::PredictStrategy::kPsSync;
  }
  return model::PredictStrategy::kPsAsync;
}

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

absl::StatusOr<std::vector<std::pair<double, double>>> ProbeLink(const RunConfig& config) {
  const NetworkConfig& net = config.cluster().network();
  std::shared_ptr<comm::NicTable> table;
  if (net.shape()) {
    const comm::NicModel nic = NicModelOf(net);
    DS_RETURN_IF_ERROR(comm::ValidateNicModel(nic));
    table = comm::NicTable::CreateLocal(2, nic);
  }
  constexpr int64_t kMaxBytes = 1 << 20;
  std::vector<std::unique_ptr<comm::TcpPeerLink>> links;
  std::vector<std::string> addresses;
  for (int r = 0; r < 2; ++r) {
    comm::TcpPeerLinkOptions options;
    options.rank = r;
    options.size = 2;
    options.run_token = "link-probe";
    options.max_frame_bytes = kMaxBytes;
    if (table) {
      options.nic = std::make_shared<comm::NicPort>(table, r, config.seed() + r);
      options.rank_host = {0, 1};
    }
    links.push_back(std::make_unique<comm::TcpPeerLink>(options));
    DS_ASSIGN_OR_RETURN(int port, links.back()->Listen());
    addresses.push_back(absl::StrCat("127.0.0.1:", port));
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  // Connect blocks until the peer accepts: both ranks at once.
  absl::Status connected0;
  std::thread connector([&] { connected0 = links[0]->Connect(addresses, deadline); });
  absl::Status connected1 = links[1]->Connect(addresses, deadline);
  connector.join();
  DS_RETURN_IF_ERROR(connected0);
  DS_RETURN_IF_ERROR(connected1);

  std::vector<std::pair<double, double>> samples;
  std::vector<float> out, in;
  uint64_t step = 0;
  for (int repeat = 0; repeat < 3; ++repeat) {
    for (int64_t bytes : {4 << 10, 64 << 10, 256 << 10, 1 << 20}) {
      out.assign(bytes / 4, 1.0f);
      in.resize(bytes / 4);
      const comm::FrameTag tag{1, ++step, 0};
      Stopwatch watch;
      // Far generous deadlines: 1 MiB at the slowest allowed bandwidth still fits.
      const absl::Time until = absl::Now() + absl::Seconds(120);
      DS_RETURN_IF_ERROR(links[0]->Send(1, tag, out, until));
      DS_RETURN_IF_ERROR(links[1]->Recv(0, tag, std::span<float>(in), until, comm::RecvMode::kCopy));
      samples.emplace_back(static_cast<double>(bytes), watch.Seconds());
    }
  }
  for (auto& link : links) link->Close(absl::Now() + absl::Seconds(1));
  return samples;
}

model::Network CalibratedNetwork(const Calibrated& cal, const RunConfig& config) {
  // What the software adds per message beyond the configured latency, and the share of the
  // configured bandwidth it reaches (1 when the probe was not shaped: nothing to compare with),
  // applied to the network the config describes (NetworkOf: latency, jitter, loss).
  const double overhead_s = std::max(0.0, cal.probe.alpha_s - cal.probe_latency_s);
  double efficiency = 1;
  if (cal.probe_bandwidth_bps > 0 && cal.probe.bytes_per_s > 0) {
    efficiency = std::min(1.0, cal.probe.bytes_per_s / cal.probe_bandwidth_bps);
  }
  model::Network out = NetworkOf(config);
  out.alpha_s += overhead_s;
  out.bytes_per_s *= efficiency;
  return out;
}

PredictRow PredictHere(const Calibrated& cal, const RunConfig& config, int cores) {
  const ModelSize size = SizeOf(config.model()).value_or(ModelSize{});
  const double flops = size.flops_per_example;
  const int64_t params = size.parameters;
  const int n = static_cast<int>(std::max<uint32_t>(1, config.workers()));
  const int batch = static_cast<int>(config.train().batch_size());
  // n workers computing at once on `cores` cores each get cores / n of one.
  const double share = std::max(1.0, static_cast<double>(n) / std::max(1, cores));
  model::PredictInput in;
  in.compute_s = std::max(1e-9, (flops * batch / 1e9 * cal.cpu_s_per_gflop +
                                 batch * cal.data_s_per_sample) * share);
  in.batch = batch;
  in.model_bytes = 4.0 * params;
  if (config.cluster().network().shape()) {
    in.net = CalibratedNetwork(cal, config);
  } else {
    in.net.alpha_s = std::max(0.0, cal.probe.alpha_s - cal.probe_latency_s);  // loopback
  }
  const bool colocated = config.has_parameter_server() &&
                         config.parameter_server().placement() == ParameterServerStrategy::COLOCATED;
  const int servers = config.has_parameter_server()
                          ? static_cast<int>(std::max<uint32_t>(1, config.parameter_server().servers()))
                          : 0;
  return model::Predict(StrategyOf(config), n, servers, colocated, in);
}

std::vector<PredictRow> PredictAtScale(const Calibrated& cal, const RunConfig& config,
                                       const std::vector<uint32_t>& workers, uint32_t servers,
                                       int64_t examples_per_epoch) {
  const ModelSize size = SizeOf(config.model()).value_or(ModelSize{});
  const double flops = size.flops_per_example;
  const int64_t params = size.parameters;
  const ClusterConfig& cluster = config.cluster();
  const int batch = static_cast<int>(config.train().batch_size());
  model::PredictInput in;
  in.batch = batch;
  in.model_bytes = 4.0 * params;
  in.net = CalibratedNetwork(cal, config);
  in.examples_per_epoch = examples_per_epoch;
  // Compute of one step on the simulated instance (one worker per host).
  const double here_s = flops * batch / 1e9 * cal.cpu_s_per_gflop;
  if (cluster.gemm_gflops() <= 0) {
    in.compute_s = here_s;  // the instance is one core of this machine
  } else if (cluster.clock() == ClusterConfig::FLOPS) {
    in.compute_s = flops * batch / (cluster.gemm_gflops() * 1e9);
  } else {
    in.compute_s = here_s * cal.host_gemm_gflops / cluster.gemm_gflops();
  }
  in.compute_s = std::max(in.compute_s, 1e-9);
  if (!cluster.instance_type().empty()) {
    absl::StatusOr<InstanceProfile> instance = config::FindInstance(cluster.instance_type());
    if (instance.ok()) in.price_per_host_hour = instance->price_per_hour_usd();
  }
  std::vector<PredictRow> rows;
  for (uint32_t n : workers) {
    rows.push_back(model::Predict(model::PredictStrategy::kRing, n, 0, false, in));
    rows.push_back(model::Predict(model::PredictStrategy::kPsSync, n, servers, false, in));
    rows.push_back(model::Predict(model::PredictStrategy::kPsAsync, n, servers, false, in));
  }
  return rows;
}

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
      out.push_back(absl::StrFormat("%s: at least 50%% efficient up to %u workers (%.0f%% there, "
                                    "%.0f samples/s, limited by %s)",
                                    strategy, last->workers(), 100 * last->efficiency(),
                                    last->samples_per_second(), last->bottleneck()));
    }
  }
  if (result.checks_size() > 0) {
    double worst = 0;
    std::string worst_name;
    for (const PredictCheck& c : result.checks()) {
      if (c.measured_step_ms() <= 0) continue;
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
  }
  return out;
}

absl::StatusOr<PredictResult> RunPredict(const PredictConfig& config,
                                         const PredictOptions& options) {
  // The checks are the calibration config with overrides: ExpandCompare validates them as a
  // comparison's runs would be, naming the entry and field of any problem.
  CompareConfig as_compare;
  as_compare.set_name(config.name());
  as_compare.set_output_dir(config.output_dir());
  *as_compare.mutable_base() = config.calibration();
  as_compare.mutable_base()->set_name("calibration");
  CompareRun* calibration_entry = as_compare.add_runs();
  calibration_entry->set_name("calibration");
  for (const CompareRun& check : config.checks()) *as_compare.add_runs() = check;
  DS_ASSIGN_OR_RETURN(std::vector<config::CompareEntry> entries,
                      config::ExpandCompare(config::WithCompareDefaults(as_compare),
                                            config.name()));
  const RunConfig& calibration = entries[0].config;

  PredictResult result;
  result.set_name(config.name());
  *result.mutable_config() = calibration;
  *result.mutable_provenance() = CollectProvenance(0, options.command_line);
  auto say = [&](const std::string& line) {
    if (options.progress != nullptr) std::fprintf(options.progress, "%s\n", line.c_str());
  };
  RunOptions common;
  common.progress = options.progress;
  common.command_line = options.command_line;
  common.stop = options.stop;
  common.executable = options.executable;
  auto run = [&](const RunConfig& run_config) {
    return RunInto(run_config, options.out_dir, options.data_dir(run_config), common);
  };

  // 1. Calibration: the run, then the link probe.
  say(absl::StrCat("calibration run: ", DescribeStrategy(calibration)));
  DS_ASSIGN_OR_RETURN(RunResult cal_run, run(calibration));
  say("link probe: messages of 4 KiB to 1 MiB between two simulated hosts");
  DS_ASSIGN_OR_RETURN(auto samples, ProbeLink(calibration));
  double fit_error = 0;
  DS_ASSIGN_OR_RETURN(model::Network probe, model::FitAlphaBeta(samples, &fit_error));

  Calibrated cal;
  const uint64_t steps = cal_run.samples() / std::max<uint32_t>(1, calibration.train().batch_size());
  const double cpu = cal_run.compute_cpu_seconds();
  if (steps == 0 || cpu <= 0) {
    return absl::FailedPreconditionError("calibration run: no training steps were recorded");
  }
  DS_ASSIGN_OR_RETURN(const ModelSize cal_size, SizeOf(calibration.model()));
  const double flops = cal_size.flops_per_example;
  const double gflop_per_step = flops * calibration.train().batch_size() / 1e9;
  cal.cpu_s_per_gflop = cpu / steps / gflop_per_step;
  cal.host_gemm_gflops = cal_run.modelled().host_gemm_gflops();
  cal.probe = probe;
  cal.probe_latency_s = calibration.cluster().network().shape()
                            ? calibration.cluster().network().latency_us() * 1e-6
                            : 0;
  cal.probe_bandwidth_bps =
      calibration.cluster().network().shape() ? NicModelOf(calibration.cluster().network()).bytes_per_s : 0;
  Calibration* summary = result.mutable_calibration();
  summary->set_source(absl::StrFormat(
      "%s, %d steps per worker, %s network%s", DescribeStrategy(calibration), cal_run.steps(),
      absl::StrFormat("%g Gbit/s", calibration.cluster().network().bandwidth_gbps()),
      calibration.cluster().network().shape() ? " (shaped)" : " (modelled only; probe on loopback)"));
  summary->set_compute_s_per_sample(cpu / steps / calibration.train().batch_size());
  summary->set_train_gflop_per_sample(flops / 1e9);
  summary->set_effective_gflops(1 / cal.cpu_s_per_gflop);
  summary->set_alpha_s(probe.alpha_s);
  summary->set_beta_s_per_byte(probe.bytes_per_s > 0 ? 1 / probe.bytes_per_s : 0);
  summary->set_model_bytes(4 * cal_size.parameters);
  summary->set_fit_error(fit_error);

  // 2. At scale.
  std::vector<uint32_t> workers(config.workers().begin(), config.workers().end());
  if (workers.empty()) {
    for (uint32_t n = 1; n <= 256; n *= 2) workers.push_back(n);
  }
  RunConfig at_scale = config.calibration();
  config::MergeOverrides(config.at_scale(), &at_scale);
  at_scale.set_name("at_scale");
  at_scale = config::WithDefaults(std::move(at_scale));
  if (absl::Status valid = config::ValidateRunConfig(at_scale); !valid.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(config.name(), ": at_scale: ", valid.message()));
  }
  *result.mutable_at_scale() = at_scale;
  // An epoch of the table: one pass over the at-scale config's training set, all workers
  // together.
  DS_ASSIGN_OR_RETURN(auto at_scale_data,
                      data::OpenIdxDir(options.data_dir(at_scale), at_scale.data().train_limit(),
                                       at_scale.data().test_limit()));
  const int64_t examples_per_epoch = at_scale_data.first.size();
  for (PredictRow& row : PredictAtScale(cal, at_scale, workers,
                                        std::max<uint32_t>(1, config.servers()),
                                        examples_per_epoch)) {
    *result.add_rows() = std::move(row);
  }

  // 3. Held-out checks: predicted first, then run.
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (size_t i = 1; i < entries.size(); ++i) {
    const RunConfig& check = entries[i].config;
    PredictCheck* c = result.add_checks();
    c->set_name(entries[i].name);
    c->set_setup(entries[i].description.empty() ? Describe(calibration, check)
                                                : entries[i].description);
    c->set_predicted_step_ms(1e3 * PredictHere(cal, check, cores).step_s());
    if (!options.run_checks) continue;
    say(absl::StrFormat("check %s: predicted step %.2f ms; running it", c->name(),
                        c->predicted_step_ms()));
    DS_ASSIGN_OR_RETURN(RunResult measured, run(check));
    c->set_measured_step_ms(measured.step_times().mean_ms());
    if (c->measured_step_ms() > 0) {
      c->set_error((c->predicted_step_ms() - c->measured_step_ms()) / c->measured_step_ms());
    }
  }
  for (std::string& f : PredictFindings(result)) result.add_findings(std::move(f));

  const std::filesystem::path dir(options.out_dir);
  DS_RETURN_IF_ERROR(report::EnsureDir(options.out_dir));
  DS_RETURN_IF_ERROR(
      report::WriteFileAtomic((dir / "predict.json").string(), report::MessageToJson(result)));
  std::string csv =
      "strategy,workers,servers,step_s,compute_s,communication_s,samples_per_second,efficiency,"
      "epoch_s,cost_per_epoch_usd,bottleneck,step_s_in_step\n";
  for (const PredictRow& r : result.rows()) {
    absl::StrAppendFormat(&csv, "%s,%u,%u,%.6g,%.6g,%.6g,%.6g,%.4f,%.6g,%.6g,%s,%.6g\n",
                          r.strategy(), r.workers(), r.servers(), r.step_s(), r.compute_s(),
                          r.communication_s(), r.samples_per_second(), r.efficiency(),
                          r.epoch_s(), r.cost_per_epoch_usd(), r.bottleneck(),
                          r.step_s_in_step());
  }
  DS_RETURN_IF_ERROR(report::WriteFileAtomic((dir / "predict.csv").string(), csv));
  DS_RETURN_IF_ERROR(report::WriteFileAtomic((dir / "predict.txt").string(), FormatPredict(result)));
  DS_RETURN_IF_ERROR(report::WriteFileAtomic((dir / "predict.html").string(),
                                             report::RenderPredictReport(result)));
  return result;
}

std::string FormatPredict(const PredictResult& result) {
  std::string out;
  const Calibration& c = result.calibration();
  const RunConfig& config = result.config();
  absl::StrAppendFormat(&out, "calibration: %s\n", c.source());
  absl::StrAppendFormat(
      &out,
      "  compute %.3g ms per sample here (%.3g GFLOP per sample, %.1f GFLOP/s per worker "
      "thread)\n  link: alpha %.1f us, beta %.4g ns/B (%.3g Gbit/s), fit error %.1f%%; model "
      "%s per step\n",
      1e3 * c.compute_s_per_sample(), c.train_gflop_per_sample(), c.effective_gflops(),
      1e6 * c.alpha_s(), 1e9 * c.beta_s_per_byte(),
      c.beta_s_per_byte() > 0 ? 8e-9 / c.beta_s_per_byte() : 0.0, 100 * c.fit_error(),
      absl::StrFormat("%.3g MB", c.model_bytes() / 1e6));
  const RunConfig& scaled = result.has_at_scale() ? result.at_scale() : config;
  const ClusterConfig& cluster = scaled.cluster();
  absl::StrAppendFormat(&out,
                        "\nmodel %s (%s per step), predicted on %s, %g Gbit/s, %g us (%s clock), "
                        "batch %u per worker:\n",
                        scaled.model().ShortDebugString(),
                        absl::StrFormat("%.3g MB", 4e-6 * SizeOf(scaled.model()).value_or(ModelSize{}).parameters),
                        cluster.instance_type().empty() ? "one core of this machine per worker"
                                                        : cluster.instance_type(),
                        cluster.network().bandwidth_gbps(), cluster.network().latency_us(),
                        ClusterConfig::ClockMode_Name(cluster.clock()),
                        scaled.train().batch_size());
  absl::StrAppendFormat(&out, "%-9s %7s %7s %10s %10s %9s %12s %6s %10s %10s  %s\n",
                        "strategy", "workers", "servers", "step ms", "in step ms", "comm ms",
                        "samples/s", "eff", "epoch s", "$/epoch", "bottleneck");
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
  if (result.checks_size() > 0) {
    absl::StrAppendFormat(&out, "\nheld-out checks on this machine (step time, mean after warm-up):\n");
    absl::StrAppendFormat(&out, "%-22s %-44s %12s %12s %8s\n", "check", "differs from calibration",
                          "predicted ms", "measured ms", "error");
    for (const PredictCheck& k : result.checks()) {
      absl::StrAppendFormat(&out, "%-22s %-44s %12.2f %12s %8s\n", k.name(), k.setup(),
                            k.predicted_step_ms(),
                            k.measured_step_ms() > 0 ? absl::StrFormat("%.2f", k.measured_step_ms())
                                                     : std::string("not run"),
                            k.measured_step_ms() > 0 ? absl::StrFormat("%+.1f%%", 100 * k.error())
                                                     : std::string("-"));
    }
  }
  if (result.findings_size() > 0) out += "\nwhat the model shows:\n";
  for (const std::string& f : result.findings()) absl::StrAppendFormat(&out, "  - %s\n", f);
  return out;
}

}  // namespace distsim::node
