#include "sim/app/plan.h"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "kernels/param_layout.h"
#include "sim/base/status.h"
#include "sim/config/instances.h"
#include "sim/data/channel.h"
#include "sim/data/dataset.h"
#include "sim/data/distribution.h"
#include "sim/data/distribution_summary.h"
#include "sim/data/idx.h"
#include "sim/model/cost_model.h"
#include "sim/model/timeline.h"
#include "sim/node/factory.h"
#include "sim/node/data_source.h"
#include "sim/node/modelled.h"
#include "sim/node/run_plan.h"

namespace distsim::app {

using node::ClusterShape;
using node::IsDistributed;
using node::ShapeOf;

ExpectedBytes ExpectBytes(const RunConfig& config, int64_t params,
                          const strategy::ShardMap* shards) {
  ExpectedBytes out;
  const ClusterShape shape = ShapeOf(config);
  const double model_bytes = 4.0 * static_cast<double>(params);
  const int n = shape.workers;
  if (config.has_parameter_server() && shards != nullptr) {
    out.worker_per_step = 2 * model_bytes;  // push every gradient, pull every parameter
    const std::vector<int64_t> bytes = strategy::BytesPerShard(*shards);
    for (int64_t b : bytes) out.server_per_step.push_back(2.0 * n * static_cast<double>(b));
    const bool colocated =
        config.parameter_server().placement() == ParameterServerStrategy::COLOCATED;
    // A colocated worker's traffic with the shard on its own host never leaves the host; for
    // the per-worker figure take worker 0's view.
    out.worker_off_host_per_step = colocated && !bytes.empty()
                                       ? 2 * (model_bytes - static_cast<double>(bytes[0]))
                                       : out.worker_per_step;
  } else if (config.has_allreduce()) {
    // Each rank sends and receives 2(n-1)/n of the buffer.
    out.worker_per_step = 2 * 2.0 * (n - 1) / n * model_bytes;
    out.worker_off_host_per_step = out.worker_per_step;
  }
  return out;
}

namespace {

std::string Bytes(double b) {
  if (b >= 1e6) return absl::StrFormat("%.2f MB", b / 1e6);
  if (b >= 1e3) return absl::StrFormat("%.1f kB", b / 1e3);
  return absl::StrFormat("%.0f B", b);
}

// The processes of the run and the simulated host each runs on.
std::string ProcessesText(const RunConfig& config, const ClusterShape& shape) {
  std::string out = "\nprocesses:\n  coordinator (inside the launcher)\n";
  for (int i = 0; i < shape.servers; ++i) {
    absl::StrAppendFormat(&out, "  server %d on host %d (%s)\n", i, shape.server_host[i],
                          data::HostName(static_cast<int>(shape.server_host[i])));
  }
  const ClusterConfig& cluster = config.cluster();
  for (int i = 0; i < shape.workers; ++i) {
    absl::StrAppendFormat(&out, "  worker %d on host %d (%s)%s", i, shape.worker_host[i],
                          data::HostName(static_cast<int>(shape.worker_host[i])),
                          i == 0 ? " (chief: evaluates)" : "");
    const double late = std::min(cluster.start_stagger_max_s(), i * cluster.start_stagger_s());
    if (late > 0) absl::StrAppendFormat(&out, " starts %g s late (modelled)", late);
    absl::StrAppend(&out, "\n");
  }
  const int first_idle = static_cast<int>(shape.worker_host.back()) + 1;
  for (int h = first_idle; h < shape.hosts; ++h) {
    absl::StrAppendFormat(&out,
                          "  host %d (%s): no object to train on; started and billed "
                          "(data.allow_idle_hosts)\n",
                          h, data::HostName(h));
  }
  return out;
}

// What each host downloads before training (SageMaker's File mode) and how long it takes.
std::string DownloadText(const node::RunPlan& plan) {
  FileModeProfile profile;
  absl::StatusOr<model::FileModeLink> link = node::FileModeLinkOf(plan.config, &profile);
  if (!link.ok() || plan.host_downloads.empty()) return "";
  std::string out = absl::StrFormat(
      "\ndownload before training (File mode: %.0f MB/s per host, %g s per object):\n",
      link->bytes_per_s / 1e6, link->object_s);
  constexpr int kShown = 8;
  int shown = 0;
  for (size_t h = 0; h < plan.host_downloads.size(); ++h) {
    const node::HostDownload& d = plan.host_downloads[h];
    if (d.objects == 0) continue;
    if (++shown > kShown) {
      absl::StrAppend(&out, "  ...\n");
      break;
    }
    absl::StrAppendFormat(&out, "  %s: %s (%d training object%s and the test set), %.2f s\n",
                          data::HostName(static_cast<int>(h)), Bytes(d.bytes), d.objects - 1,
                          d.objects == 2 ? "" : "s",
                          d.bytes / link->bytes_per_s + d.objects * link->object_s);
  }
  absl::StrAppendFormat(&out, "  start-up before it (provisioning): %g s, reported apart\n",
                        profile.startup_s());
  return out;
}

// Each server's share of the model in bytes and the tensors it holds.
std::string ShardMapText(const RunConfig& config, const strategy::ShardMap& shards,
                         const kernels::ParamLayout& layout) {
  const std::vector<int64_t> bytes = strategy::BytesPerShard(shards);
  const auto tensors = strategy::TensorsPerShard(shards, layout);
  std::string out = absl::StrFormat(
      "\nshard map (%s):\n",
      ParameterServerStrategy::Partitioning_Name(config.parameter_server().partitioning()));
  for (size_t s = 0; s < bytes.size(); ++s) {
    absl::StrAppendFormat(&out, "  server %d: %s (%.1f%%)  %s\n", s, Bytes(bytes[s]),
                          100.0 * bytes[s] / (4.0 * layout.size()),
                          absl::StrJoin(tensors[s], ", "));
  }
  return out;
}

// The payload a worker and each server should move per step; "" for a run of one process.
std::string ExpectedBytesText(const RunConfig& config, const ExpectedBytes& expected) {
  if (!IsDistributed(config)) return "";
  std::string out = "\nexpected bytes per step (payload, sent + received):\n";
  absl::StrAppendFormat(&out, "  each worker: %s", Bytes(expected.worker_per_step));
  if (expected.worker_off_host_per_step != expected.worker_per_step) {
    absl::StrAppendFormat(&out, " (%s of it leaves worker 0's host)",
                          Bytes(expected.worker_off_host_per_step));
  }
  absl::StrAppend(&out, "\n");
  for (size_t s = 0; s < expected.server_per_step.size(); ++s) {
    absl::StrAppendFormat(&out, "  server %d: %s\n", s, Bytes(expected.server_per_step[s]));
  }
  return out;
}

// The instance line of the simulated cluster.
std::string InstanceText(const ClusterConfig& cluster) {
  if (cluster.instance_type().empty()) {
    return "  instance: none (each worker computes as one core of this machine)\n";
  }
  absl::StatusOr<InstanceProfile> p = config::FindInstance(cluster.instance_type());
  if (!p.ok()) return "";
  return absl::StrFormat(
      "  instance %s: %d vCPUs (%s), %.1f GFLOP/s GEMM, %g Gbit/s, $%.3f per hour\n", p->name(),
      p->vcpus(), p->cpu(), p->gemm_gflops(), p->network_gbps(), p->price_per_hour_usd());
}

// The network and the modelled clock lines of the simulated cluster.
std::string NetworkAndClockText(const RunConfig& config, double train_flops_per_example) {
  const ClusterConfig& cluster = config.cluster();
  const NetworkConfig& net = cluster.network();
  std::string out = absl::StrFormat("  network: %g Gbit/s, %g us latency", net.bandwidth_gbps(),
                                    net.latency_us());
  if (net.jitter_us() > 0) absl::StrAppendFormat(&out, ", %g us jitter", net.jitter_us());
  if (net.loss() > 0) absl::StrAppendFormat(&out, ", %g%% packet loss", 100 * net.loss());
  absl::StrAppend(&out, net.shape() ? "; shaped: the real traffic goes through it\n"
                                    : "; modelled only (the real traffic runs on loopback)\n");
  absl::StrAppendFormat(&out, "  modelled clock: %s",
                        ClusterConfig::ClockMode_Name(cluster.clock()));
  if (cluster.clock() == ClusterConfig::FLOPS && cluster.gemm_gflops() > 0) {
    absl::StrAppendFormat(&out, ", %.3f ms of compute per step",
                          1e3 * config.train().batch_size() * train_flops_per_example /
                              (cluster.gemm_gflops() * 1e9));
  }
  absl::StrAppend(&out, "\n");
  return out;
}

}  // namespace

double ModelledCommSeconds(const RunConfig& config, int64_t params,
                           const strategy::ShardMap* shards) {
  if (!IsDistributed(config)) return 0;
  node::ModelFacts facts;
  facts.parameters = params;
  if (shards != nullptr) {
    for (int64_t b : strategy::BytesPerShard(*shards)) facts.server_params.push_back(b / 4);
  }
  const model::TimelineSpec spec = node::TimelineSpecOf(config, ShapeOf(config), facts);
  if (spec.kind == model::TimelineSpec::kRing) {
    return model::RingAllreduceSeconds(spec.worker_host, spec.model_bytes, spec.net);
  }
  return model::PsPhaseSeconds(spec.worker_host, spec.server_host, spec.shard_bytes, false,
                               spec.net) +
         model::PsPhaseSeconds(spec.worker_host, spec.server_host, spec.shard_bytes, true,
                               spec.net);
}

absl::StatusOr<std::string> FormatPlan(const RunConfig& run_config, const std::string& data_dir) {
  // The same derivation a run makes: the data opened, the model built and the plan made once.
  DS_ASSIGN_OR_RETURN(node::RunInputs in, node::OpenRun(run_config, data_dir));
  const node::RunPlan& plan = in.plan;
  const RunConfig& config = plan.config;
  const kernels::ParamLayout& layout = in.model->layout();
  std::string out = absl::StrFormat("run %s: %s\nmodel %s: %d parameters, %s per copy\n",
                                    config.name(), node::DescribeStrategy(config), in.model->name(),
                                    plan.parameters, Bytes(4.0 * plan.parameters));
  absl::StrAppend(&out, ProcessesText(config, plan.shape));
  const strategy::ShardMap* shard_map = config.has_parameter_server() ? &plan.shards : nullptr;
  if (shard_map != nullptr) absl::StrAppend(&out, ShardMapText(config, *shard_map, layout));
  DS_ASSIGN_OR_RETURN(
      auto summary,
      data::SummarizeDistribution(plan.distribution, data::Labels(in.train), in.train.num_classes(),
                                  plan.shape.workers, plan.batch, plan.data_seed, plan.shuffle));
  absl::StrAppend(&out, "\n", data::FormatDistributionSummary(summary));
  absl::StrAppend(&out, DownloadText(plan));
  absl::StrAppend(&out, ExpectedBytesText(config, ExpectBytes(config, plan.parameters, shard_map)));
  absl::StrAppend(&out, "\n",
                  FormatCluster(config, plan.parameters, shard_map, plan.train_flops_per_example));
  return out;
}

std::string FormatCluster(const RunConfig& config, int64_t params, const strategy::ShardMap* shards,
                          double train_flops_per_example) {
  std::string out = "simulated cluster:\n";
  absl::StrAppend(&out, InstanceText(config.cluster()));
  absl::StrAppend(&out, NetworkAndClockText(config, train_flops_per_example));
  if (IsDistributed(config)) {
    absl::StrAppendFormat(&out, "  communication of one step with every worker at once: %.3f ms\n",
                          1e3 * ModelledCommSeconds(config, params, shards));
  }
  for (const std::string& line : config::DescribeFaults(config::FaultsByWorker(config))) {
    absl::StrAppendFormat(&out, "  fault: %s\n", line);
  }
  if (config.supervision().on_worker_failure() == SupervisionConfig::CONTINUE) {
    absl::StrAppend(&out, "  on worker failure: CONTINUE without it\n");
  }
  return out;
}

absl::StatusOr<std::string> DataState(const RunConfig& config, const std::string& dir) {
  if (config.data().dataset() != DataConfig::CSV) return DataFolderState(dir);
  const node::CsvPaths paths = node::CsvPathsOf(config, dir);
  const data::CsvOptions options = node::CsvOptionsOf(config.data());
  DS_ASSIGN_OR_RETURN(const data::CsvTable train, data::ReadCsv(paths.train, options));
  DS_ASSIGN_OR_RETURN(const data::CsvTable test, data::ReadCsv(paths.test, options));
  return absl::StrFormat(
      "%s: %d examples, %s: %d examples; %d features, labels in 0..%d (data.num_classes %d)",
      paths.train, train.examples, paths.test, test.examples, train.features,
      options.num_classes - 1, options.num_classes);
}

std::string DataFolderState(const std::string& dir) {
  std::vector<std::string> missing;
  for (const char* f :
       {data::kTrainImages, data::kTrainLabels, data::kTestImages, data::kTestLabels}) {
    std::error_code ec;
    if (!std::filesystem::exists(std::filesystem::path(dir) / f, ec)) missing.push_back(f);
  }
  if (missing.empty()) return "the four IDX files are there";
  return absl::StrCat("missing ", absl::StrJoin(missing, ", "),
                      " (scripts/get-mnist.sh fetches MNIST; --data-dir names another folder)");
}

}  // namespace distsim::app
