#include "sim/node/modelled.h"

#include <algorithm>

#include "sim/base/status.h"
#include "sim/config/instances.h"
#include "sim/model/job_time.h"

namespace distsim::node {

model::Network NetworkOf(const RunConfig& config) {
  const NetworkConfig& net = config.cluster().network();
  const double latency_s = net.latency_us() * 1e-6;
  model::Network out;
  out.alpha_s = latency_s + 0.5 * net.jitter_us() * 1e-6;
  // Lost packets are sent again (their bytes cross the NIC twice) and each costs its message a
  // round trip (the shaped transport does the same, sim/comm/nic.h).
  if (net.bandwidth_gbps() > 0) out.bytes_per_s = net.bandwidth_gbps() * 1e9 / 8 / (1 + net.loss());
  out.loss = net.loss();
  out.loss_round_trip_s = 2 * latency_s;
  return out;
}

ModelFacts ModelFactsOf(const RunPlan& plan, double host_gemm_gflops) {
  ModelFacts facts;
  facts.parameters = plan.parameters;
  facts.server_params = plan.server_params;
  facts.train_flops_per_example = plan.train_flops_per_example;
  facts.host_gemm_gflops = host_gemm_gflops;
  return facts;
}

comm::NicModel NicModelOf(const NetworkConfig& net) {
  comm::NicModel nic;
  nic.bytes_per_s = net.bandwidth_gbps() * 1e9 / 8;
  nic.latency = absl::Microseconds(net.latency_us());
  nic.jitter = absl::Microseconds(net.jitter_us());
  nic.loss = net.loss();
  return nic;
}

bool NeedsHostSpeed(const RunConfig& config) {
  return config.cluster().clock() != ClusterConfig::FLOPS && config.cluster().gemm_gflops() > 0;
}

double ModelComputeSeconds(const RunConfig& config, const ModelFacts& facts, double slowdown,
                           const StepRecord& record) {
  const ClusterConfig& cluster = config.cluster();
  double compute;
  if (cluster.clock() == ClusterConfig::FLOPS && cluster.gemm_gflops() > 0) {
    compute = config.train().batch_size() * facts.train_flops_per_example /
              (cluster.gemm_gflops() * 1e9);
  } else {
    const double scale = cluster.gemm_gflops() > 0 && facts.host_gemm_gflops > 0
                             ? facts.host_gemm_gflops / cluster.gemm_gflops()
                             : 1.0;
    compute = record.compute_cpu_s() * scale;
  }
  return compute * std::max(1.0, slowdown);
}

model::TimelineSpec TimelineSpecOf(const RunConfig& config, const ClusterShape& shape,
                                   const ModelFacts& facts) {
  model::TimelineSpec spec;
  spec.net = NetworkOf(config);
  spec.worker_host.assign(shape.worker_host.begin(), shape.worker_host.end());
  spec.server_host.assign(shape.server_host.begin(), shape.server_host.end());
  for (int64_t p : facts.server_params) spec.shard_bytes.push_back(4.0 * p);
  spec.model_bytes = 4.0 * facts.parameters;
  spec.worker_lost = facts.worker_lost;
  if (const ClusterConfig& c = config.cluster(); c.start_stagger_s() > 0) {
    // TensorFlow: the chief at once, worker task i (our worker i + 1) after 5 s x (i + 1).
    for (int w = 0; w < shape.workers; ++w) {
      spec.worker_start_s.push_back(std::min(c.start_stagger_max_s(), w * c.start_stagger_s()));
    }
  }
  if (config.has_allreduce()) {
    spec.kind = model::TimelineSpec::kRing;
  } else if (config.has_parameter_server()) {
    switch (config.parameter_server().mode()) {
      case ParameterServerStrategy::SYNC:
        spec.kind = model::TimelineSpec::kPsSync;
        break;
      case ParameterServerStrategy::SSP:
        spec.kind = model::TimelineSpec::kPsSsp;
        spec.staleness = config.parameter_server().staleness();
        break;
      default:
        spec.kind = model::TimelineSpec::kPsAsync;
        break;
    }
    // TensorFlow's shared step: the modelled run ends at the servers' N-th update.
    spec.global_steps = LengthOf(config, 1).global_steps;
  } else {
    spec.kind = model::TimelineSpec::kLocal;
  }
  return spec;
}

absl::StatusOr<model::FileModeLink> FileModeLinkOf(const RunConfig& config,
                                                   FileModeProfile* profile) {
  DS_ASSIGN_OR_RETURN(InstanceTable table, config::BuiltinInstances());
  const FileModeProfile& file_mode = table.file_mode();
  if (profile != nullptr) *profile = file_mode;
  // A host downloads at the File-mode rate or its NIC's, whichever is smaller.
  const double nic_mb_per_s = config.cluster().network().bandwidth_gbps() * 1e3 / 8;
  const double mb_per_s = nic_mb_per_s > 0
                              ? std::min(file_mode.download_mb_per_s(), nic_mb_per_s)
                              : file_mode.download_mb_per_s();
  return model::FileModeLink{mb_per_s * 1e6, file_mode.object_s()};
}

namespace {

// The job around the training (sim/model/job_time.h): each host's download of its objects before
// it, the model's upload after it, the bill of every host for the whole job.
absl::Status FillJob(const RunPlan& plan, const model::Timeline& timeline, int hosts,
                     double price_per_host_hour, ModelledClock* clock) {
  FileModeProfile file_mode;
  DS_ASSIGN_OR_RETURN(const model::FileModeLink link, FileModeLinkOf(plan.config, &file_mode));
  const double mb_per_s = link.bytes_per_s / 1e6;
  std::vector<model::JobHost> job_hosts(hosts);
  for (size_t h = 0; h < plan.host_downloads.size() && h < job_hosts.size(); ++h) {
    job_hosts[h].download_bytes = plan.host_downloads[h].bytes;
    job_hosts[h].download_objects = plan.host_downloads[h].objects;
  }
  // A server is busy to the end; a worker until its last step.
  for (uint32_t h : plan.shape.server_host) job_hosts[h].busy_until_s = timeline.seconds;
  for (size_t w = 0; w < plan.shape.worker_host.size(); ++w) {
    model::JobHost& host = job_hosts[plan.shape.worker_host[w]];
    const double end = w < timeline.worker_end_s.size() ? timeline.worker_end_s[w] : 0.0;
    host.busy_until_s = std::max(host.busy_until_s, end);
  }
  if (!plan.shape.worker_host.empty()) job_hosts[plan.shape.worker_host[0]].uploads = true;
  const model::JobTime job = model::ModelJobTime(job_hosts, link, timeline.seconds,
                                                 4.0 * static_cast<double>(plan.parameters),
                                                 price_per_host_hour);
  clock->set_download_mb_per_s(mb_per_s);
  clock->set_download_seconds(job.download_s_max);
  clock->set_upload_seconds(job.upload_s);
  clock->set_job_seconds(job.job_s);
  clock->set_startup_seconds(file_mode.startup_s());
  for (size_t h = 0; h < job_hosts.size(); ++h) {
    clock->add_host_download_seconds(job.download_s[h]);
    clock->add_host_download_bytes(static_cast<uint64_t>(job_hosts[h].download_bytes));
  }
  clock->set_idle_host_seconds(job.idle_host_s);
  clock->set_cost_usd(job.cost_usd);
  clock->set_idle_cost_usd(job.idle_cost_usd);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ModelledClock> ModelRun(const RunPlan& plan, const ModelFacts& facts,
                                       std::vector<std::vector<StepRecord>>* records,
                                       model::Timeline* timeline_out) {
  const RunConfig& config = plan.config;
  const ClusterConfig& cluster = config.cluster();
  ModelledClock clock;
  clock.set_instance_type(cluster.instance_type());
  clock.set_clock_mode(ClusterConfig::ClockMode_Name(cluster.clock()));
  clock.set_gemm_gflops(cluster.gemm_gflops());
  clock.set_host_gemm_gflops(facts.host_gemm_gflops);
  clock.set_bandwidth_gbps(cluster.network().bandwidth_gbps());
  clock.set_latency_us(cluster.network().latency_us());
  const bool flops_mode = cluster.clock() == ClusterConfig::FLOPS;
  // CPU_TIME without an instance: the instance is this machine, one thread.
  if (!flops_mode) {
    clock.set_compute_scale(cluster.gemm_gflops() > 0 && facts.host_gemm_gflops > 0
                                ? facts.host_gemm_gflops / cluster.gemm_gflops()
                                : 1.0);
  }
  const std::vector<FaultConfig>& faults = plan.faults;
  for (size_t w = 0; w < records->size(); ++w) {
    const double slowdown = w < faults.size() ? faults[w].slowdown() : 1.0;
    for (StepRecord& r : (*records)[w]) {
      r.set_model_compute_s(ModelComputeSeconds(config, facts, slowdown, r));
    }
  }
  const model::TimelineSpec spec = TimelineSpecOf(config, plan.shape, facts);
  DS_ASSIGN_OR_RETURN(model::Timeline timeline, model::BuildTimeline(spec, *records));
  uint64_t steps = 0, max_steps = 0;
  for (uint64_t s : timeline.worker_steps) {
    steps += s;
    max_steps = std::max(max_steps, s);
  }
  const int hosts = plan.shape.hosts;  // idle hosts included: they are billed
  clock.set_hosts(hosts);
  clock.set_seconds(timeline.seconds);
  if (timeline.window_s > 0) {
    clock.set_samples_per_second(static_cast<double>(timeline.window_steps) *
                                 config.train().batch_size() / timeline.window_s);
  }
  if (max_steps > 0) clock.set_step_ms_mean(1e3 * timeline.seconds / max_steps);
  const double total = timeline.compute_s + timeline.communication_s + timeline.waiting_s;
  if (total > 0) {
    clock.set_compute_share(timeline.compute_s / total);
    clock.set_communication_share(timeline.communication_s / total);
    clock.set_waiting_share(timeline.waiting_s / total);
  }
  clock.set_order(timeline.order);
  double price = 0;
  if (!cluster.instance_type().empty()) {
    absl::StatusOr<InstanceProfile> instance = config::FindInstance(cluster.instance_type());
    if (instance.ok()) price = instance->price_per_hour_usd();
  }
  // Without the hosts' downloads (a process that sees only its own channel, and no report of
  // the others) the job around the training is not modelled: left out, not guessed.
  if (!plan.host_downloads.empty()) {
    DS_RETURN_IF_ERROR(FillJob(plan, timeline, hosts, price, &clock));
  }
  if (timeline_out != nullptr) *timeline_out = std::move(timeline);
  return clock;
}

namespace {

// What a modelled step carries over from the recorded one: the figures its trace span shows.
StepRecord ModelledRecord(const StepRecord& real, uint64_t step, double start_s, double end_s) {
  StepRecord r;
  r.set_step(step);
  r.set_end_s(end_s);
  r.set_step_s(end_s - start_s);
  r.set_compute_s(real.model_compute_s() + real.model_pause_s());
  r.set_loss(real.loss());
  r.set_batch_accuracy(real.batch_accuracy());
  r.set_bytes_sent(real.bytes_sent());
  r.set_bytes_received(real.bytes_received());
  r.set_nic_bytes_sent(real.nic_bytes_sent());
  r.set_nic_bytes_received(real.nic_bytes_received());
  r.set_staleness(real.staleness());
  r.set_model_compute_s(real.model_compute_s());
  r.set_model_pause_s(real.model_pause_s());
  return r;
}

// Lockstep step i: its members and their slowest compute fix the phases and the wait.
void SetLockstepPhases(const model::TimelineSpec& spec,
                       const std::vector<std::vector<StepRecord>>& records, size_t i,
                       StepRecord* r) {
  std::vector<int> hosts;
  double slowest = 0;
  for (size_t v = 0; v < records.size(); ++v) {
    if (records[v].size() <= i) continue;
    hosts.push_back(spec.worker_host[v]);
    slowest = std::max(slowest, records[v][i].model_compute_s() + records[v][i].model_pause_s());
  }
  r->set_wait_s(slowest - r->compute_s());
  if (spec.kind == model::TimelineSpec::kRing) {
    r->set_reduce_s(model::RingAllreduceSeconds(hosts, spec.model_bytes, spec.net));
  } else {
    r->set_pull_s(model::PsPhaseSeconds(hosts, spec.server_host, spec.shard_bytes, false,
                                        spec.net));
    r->set_push_s(model::PsPhaseSeconds(hosts, spec.server_host, spec.shard_bytes, true,
                                        spec.net));
  }
}

}  // namespace

std::vector<StepRecord> ModelledTrackSteps(const model::TimelineSpec& spec,
                                           const std::vector<std::vector<StepRecord>>& records,
                                           const model::Timeline& timeline, size_t w) {
  std::vector<StepRecord> out;
  if (w >= records.size() || w >= timeline.worker_step_end_s.size()) return out;
  const std::vector<double>& ends = timeline.worker_step_end_s[w];
  const bool lockstep = spec.kind == model::TimelineSpec::kRing ||
                        spec.kind == model::TimelineSpec::kPsSync;
  // A replay keeps only each step's end: its push is drawn as long as this worker's push alone
  // would take on the cluster (at most what the compute leaves), the rest as the pull.
  const double lone_push =
      spec.kind == model::TimelineSpec::kLocal || lockstep
          ? 0
          : model::PsPhaseSeconds({spec.worker_host[w]}, spec.server_host, spec.shard_bytes, true,
                                  spec.net);
  double start = 0;
  // A shared global step may give a worker more modelled steps than it recorded: its records
  // are taken again in turn, as the timeline did.
  for (size_t i = 0; i < ends.size() && !records[w].empty(); ++i) {
    StepRecord r = ModelledRecord(records[w][i % records[w].size()], i + 1, start, ends[i]);
    const double rest = std::max(0.0, r.step_s() - r.compute_s());
    if (lockstep) {
      SetLockstepPhases(spec, records, i, &r);
    } else if (spec.kind != model::TimelineSpec::kLocal) {
      r.set_push_s(std::min(rest, lone_push));
      r.set_pull_s(rest - r.push_s());
    }
    out.push_back(std::move(r));
    start = ends[i];
  }
  return out;
}

void SetModelledEvalTimes(const model::Timeline& timeline, const ModelledClock& clock,
                          uint64_t first_step, RunResult* result) {
  if (timeline.worker_step_end_s.empty() || timeline.worker_step_end_s[0].empty()) return;
  const std::vector<double>& ends = timeline.worker_step_end_s[0];
  for (EvalPoint& e : *result->mutable_evals()) {
    const uint64_t here = e.step() > first_step ? e.step() - first_step : 1;
    const uint64_t step = std::clamp<uint64_t>(here, 1, ends.size());
    e.set_modelled_seconds(clock.download_seconds() + ends[step - 1]);
  }
}

}  // namespace distsim::node
