#include "sim/app/predict_model.h"

#include <algorithm>

#include "sim/base/status.h"
#include "sim/config/instances.h"
#include "sim/node/factory.h"
#include "sim/node/modelled.h"

namespace distsim::app {
namespace {

model::PredictStrategy StrategyOf(const RunConfig& config) {
  if (config.has_allreduce()) return model::PredictStrategy::kRing;
  if (config.parameter_server().mode() == ParameterServerStrategy::SYNC) {
    return model::PredictStrategy::kPsSync;
  }
  return model::PredictStrategy::kPsAsync;
}

}  // namespace

absl::StatusOr<ModelSize> SizeOf(const ModelConfig& model) {
  DS_ASSIGN_OR_RETURN(auto m, node::MakeModel(model, 28, 28, 10));
  return ModelSize{m->TrainFlopsPerExample(), m->layout().size()};
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
  model::Network out = node::NetworkOf(config);
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
  in.compute_s = std::max(
      1e-9, (flops * batch / 1e9 * cal.cpu_s_per_gflop + batch * cal.data_s_per_sample) * share);
  in.batch = batch;
  in.model_bytes = 4.0 * params;
  if (config.cluster().network().shape()) {
    in.net = CalibratedNetwork(cal, config);
  } else {
    in.net.alpha_s = std::max(0.0, cal.probe.alpha_s - cal.probe_latency_s);  // loopback
  }
  const bool colocated = config.has_parameter_server() && config.parameter_server().placement() ==
                                                              ParameterServerStrategy::COLOCATED;
  const int servers =
      config.has_parameter_server()
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

}  // namespace distsim::app
