#include "tests/report/made_runs.h"

#include "absl/strings/str_cat.h"

namespace distsim::testing {

RunResult MadeRun(const std::string& name, uint32_t workers, bool ring, double bandwidth_gbps,
                  bool shape, double modelled_s, double modelled_sps, double step_ms) {
  RunResult run;
  RunConfig& c = *run.mutable_config();
  c.set_name(name);
  c.set_seed(1);
  c.set_workers(workers);
  c.mutable_train()->set_batch_size(64);
  c.mutable_cluster()->set_instance_type("ml.c5.xlarge");
  c.mutable_cluster()->set_clock(ClusterConfig::FLOPS);
  c.mutable_cluster()->mutable_network()->set_bandwidth_gbps(bandwidth_gbps);
  c.mutable_cluster()->mutable_network()->set_latency_us(50);
  c.mutable_cluster()->mutable_network()->set_shape(shape);
  if (workers == 1) {
    c.mutable_local();
    run.set_strategy("local");
  } else if (ring) {
    c.mutable_allreduce();
    run.set_strategy(absl::StrCat("allreduce RING, ", workers, " workers"));
  } else {
    c.mutable_parameter_server()->set_mode(ParameterServerStrategy::SYNC);
    run.set_strategy(
        absl::StrCat("parameter_server SYNC, 1 server (DEDICATED), ", workers, " workers"));
  }
  run.set_workers(workers);
  run.set_wall_seconds(10);
  run.set_samples_per_second(1000.0 * workers);
  ModelledClock& m = *run.mutable_modelled();
  m.set_instance_type("ml.c5.xlarge");
  m.set_clock_mode("FLOPS");
  m.set_bandwidth_gbps(bandwidth_gbps);
  m.set_latency_us(50);
  m.set_seconds(modelled_s);
  m.set_samples_per_second(modelled_sps);
  m.set_step_ms_mean(step_ms);
  return run;
}

bool Has(const std::vector<std::string>& findings, const std::string& needle) {
  for (const std::string& f : findings) {
    if (f.find(needle) != std::string::npos) return true;
  }
  return false;
}

std::string Joined(const std::vector<std::string>& findings) {
  std::string out;
  for (const std::string& f : findings) out += f + "\n";
  return out;
}

}  // namespace distsim::testing
