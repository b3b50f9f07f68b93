// PredictJob: the SageMaker job of a config on the modelled clock, without training, from the
// same plan a run makes (sim/node/run_plan.h) and the same cost model (sim/model).
#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sim/app/plan.h"
#include "sim/app/sagemaker_export.h"
#include "sim/base/status.h"
#include "sim/config/instances.h"
#include "sim/data/distribution.h"
#include "sim/model/job_time.h"
#include "sim/node/modelled.h"
#include "sim/node/run_plan.h"

namespace distsim::app {
namespace {

// The steps worker `worker` takes over `train_examples` examples: its own length (its objects'
// epochs under SHARDED_BY_KEY), or its even share of TensorFlow's shared global step.
absl::StatusOr<double> WorkerSteps(const node::RunPlan& plan, int64_t train_examples, int worker) {
  const RunConfig& config = plan.config;
  double steps_per_epoch = static_cast<double>(train_examples) / plan.batch;
  if (node::IsDistributed(config)) {
    DS_ASSIGN_OR_RETURN(data::WorkerEpoch epoch,
                        data::WorkerEpochOf(plan.distribution, train_examples, worker,
                                            plan.shape.workers, plan.batch));
    steps_per_epoch = epoch.steps;
  }
  const node::RunLength length = node::LengthOf(config, steps_per_epoch);
  if (length.global_steps > 0) {
    return std::ceil(static_cast<double>(length.global_steps) / plan.shape.workers);
  }
  return static_cast<double>(length.max_steps);
}

// Seconds of one step: the batch's training FLOPs on the instance, then the communication of
// every worker at once.
double StepSeconds(const node::RunPlan& plan) {
  const RunConfig& config = plan.config;
  const double compute_s =
      plan.train_flops_per_example * plan.batch / (config.cluster().gemm_gflops() * 1e9);
  const strategy::ShardMap* shards = config.has_parameter_server() ? &plan.shards : nullptr;
  return compute_s + ModelledCommSeconds(config, plan.parameters, shards);
}

// When each worker ends its last step, from the start of training. TensorFlow's start stagger
// delays worker i; lockstep strategies start when the last worker has.
absl::StatusOr<std::vector<double>> WorkerEnds(const node::RunPlan& plan, int64_t train_examples) {
  const RunConfig& config = plan.config;
  const ClusterConfig& cluster = config.cluster();
  const bool lockstep =
      config.has_allreduce() || (config.has_parameter_server() &&
                                 config.parameter_server().mode() == ParameterServerStrategy::SYNC);
  const double step_s = StepSeconds(plan);
  const int n = plan.shape.workers;
  std::vector<double> start(n), ends(n);
  for (int w = 0; w < n; ++w) {
    start[w] = std::min(cluster.start_stagger_max_s(), w * cluster.start_stagger_s());
  }
  const double last_start = *std::max_element(start.begin(), start.end());
  for (int w = 0; w < n; ++w) {
    DS_ASSIGN_OR_RETURN(const double steps, WorkerSteps(plan, train_examples, w));
    ends[w] = (lockstep ? last_start : start[w]) + steps * step_s;
  }
  return ends;
}

}  // namespace

absl::StatusOr<ExportJob> PredictJob(const RunConfig& exported, const std::string& data_dir) {
  DS_ASSIGN_OR_RETURN(node::RunInputs in, node::OpenRun(exported, data_dir));
  const node::RunPlan& plan = in.plan;
  const RunConfig& config = plan.config;
  if (!(config.cluster().gemm_gflops() > 0)) {
    return absl::InvalidArgumentError("cluster.gemm_gflops: 0; the prediction needs a speed");
  }
  DS_ASSIGN_OR_RETURN(const std::vector<double> ends, WorkerEnds(plan, in.train.size()));
  const double training_s = *std::max_element(ends.begin(), ends.end());
  // The job around the training, as the modelled clock of a run puts it (sim/node/modelled.h).
  FileModeProfile profile;
  DS_ASSIGN_OR_RETURN(const model::FileModeLink link, node::FileModeLinkOf(config, &profile));
  std::vector<model::JobHost> hosts(plan.shape.hosts);
  for (size_t h = 0; h < plan.host_downloads.size() && h < hosts.size(); ++h) {
    hosts[h].download_bytes = plan.host_downloads[h].bytes;
    hosts[h].download_objects = plan.host_downloads[h].objects;
  }
  for (uint32_t h : plan.shape.server_host) hosts[h].busy_until_s = training_s;
  for (size_t w = 0; w < plan.shape.worker_host.size(); ++w) {
    model::JobHost& host = hosts[plan.shape.worker_host[w]];
    host.busy_until_s = std::max(host.busy_until_s, ends[w]);
  }
  hosts[plan.shape.worker_host[0]].uploads = true;
  DS_ASSIGN_OR_RETURN(const InstanceProfile instance,
                      config::FindInstance(config.cluster().instance_type()));
  const model::JobTime job =
      model::ModelJobTime(hosts, link, training_s, 4.0 * static_cast<double>(plan.parameters),
                          instance.price_per_hour_usd());
  ExportJob out;
  out.predicted = true;
  out.source = absl::StrFormat(
      "a prediction without training: the plan of the config over the data in %s, each step "
      "%.3f ms: the batch's FLOPs at %.1f GFLOP/s (compute alone, without reading data or any "
      "per-step overhead: a lower bound; --result with a run's result.json measures them)%s",
      data_dir, 1e3 * StepSeconds(plan), config.cluster().gemm_gflops(),
      node::IsDistributed(config) ? " and the communication of every worker at once" : "");
  out.download_s = job.download_s_max;
  out.training_s = training_s;
  out.upload_s = job.upload_s;
  out.job_s = job.job_s;
  out.startup_s = profile.startup_s();
  out.hosts = static_cast<uint32_t>(plan.shape.hosts);
  for (const node::HostDownload& d : plan.host_downloads) {
    out.largest_download_bytes = std::max(out.largest_download_bytes, d.bytes);
  }
  return out;
}

}  // namespace distsim::app
