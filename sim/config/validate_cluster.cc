// ValidateRunConfig's checks of the simulated cluster: instance, network, clock, faults.
#include <algorithm>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "sim/config/instances.h"
#include "sim/config/problems.h"

namespace distsim::config::internal {
namespace {

constexpr Interval kBandwidthRange{0, true, 1000, false};  // (0, 1000] Gbit/s
constexpr Interval kMicrosRange{0, false, 1e6, false};     // [0, 1e6] us
constexpr Interval kLossRange{0, false, 0.5, true};        // [0, 0.5)
constexpr Interval kGflopsRange{0, true, 1e6, false};      // (0, 1e6]
constexpr Interval kSlowdownRange{1, false, 1000, false};  // [1, 1000]
constexpr Interval kPauseRange{0, false, 3600, false};     // [0, 3600] s

}  // namespace

void CheckCluster(const RunConfig& config, Problems* problems) {
  const ClusterConfig& cluster = config.cluster();
  if (!cluster.instance_type().empty()) {
    absl::StatusOr<InstanceProfile> instance = FindInstance(cluster.instance_type());
    if (!instance.ok()) {
      problems->Add("cluster.instance_type", std::string(instance.status().message()));
    }
  }
  const NetworkConfig& net = cluster.network();
  problems->CheckReal("cluster.network.bandwidth_gbps", net.bandwidth_gbps(), kBandwidthRange);
  problems->CheckReal("cluster.network.latency_us", net.latency_us(), kMicrosRange);
  problems->CheckReal("cluster.network.jitter_us", net.jitter_us(), kMicrosRange);
  problems->CheckReal("cluster.network.loss", net.loss(), kLossRange);
  if (cluster.gemm_gflops() != 0) {
    problems->CheckReal("cluster.gemm_gflops", cluster.gemm_gflops(), kGflopsRange);
  }
  problems->CheckReal("cluster.start_stagger_s", cluster.start_stagger_s(), kPauseRange);
  problems->CheckReal("cluster.start_stagger_max_s", cluster.start_stagger_max_s(), kPauseRange);
  if (cluster.clock() == ClusterConfig::FLOPS && cluster.gemm_gflops() == 0) {
    problems->Add("cluster.clock",
                  "FLOPS needs the instance's speed: set cluster.instance_type "
                  "or cluster.gemm_gflops");
  }
  if (!ClusterConfig::ClockMode_IsValid(cluster.clock()) ||
      cluster.clock() == ClusterConfig::CLOCK_MODE_UNSPECIFIED) {
    problems->Add("cluster.clock", "must be CPU_TIME or FLOPS");
  }
  const bool distributed = config.has_parameter_server() || config.has_allreduce();
  if (net.shape() && config.has_allreduce() &&
      config.allreduce().transport() == AllreduceStrategy::GRPC) {
    problems->Add("cluster.network.shape",
                  "shaping the ring needs allreduce.transport TCP (the gRPC ring is not shaped)");
  }
  for (int i = 0; i < cluster.faults_size(); ++i) {
    const FaultConfig& f = cluster.faults(i);
    const std::string at = absl::StrCat("cluster.faults[", i, "]");
    if (!distributed) {
      problems->Add(at, "faults apply to distributed runs (parameter_server or allreduce)");
      continue;
    }
    if (f.has_worker() && f.worker() >= std::max<uint32_t>(1, config.workers())) {
      problems->Add(at + ".worker", absl::StrCat(f.worker(), " is out of range; must be in [0, ",
                                                 std::max<uint32_t>(1, config.workers()) - 1, "]"));
    }
    if (f.slowdown() != 0) problems->CheckReal(at + ".slowdown", f.slowdown(), kSlowdownRange);
    problems->CheckReal(at + ".pause_s", f.pause_s(), kPauseRange);
    if (f.pause_s() > 0 && f.pause_at_step() == 0) {
      problems->Add(at + ".pause_at_step", "0 with pause_s set; must name the step (1-based)");
    }
    if (f.slowdown() == 0 && f.pause_s() == 0 && f.kill_at_step() == 0 &&
        f.corrupt_at_step() == 0) {
      problems->Add(at,
                    "does nothing; set slowdown, pause_s with pause_at_step, kill_at_step or "
                    "corrupt_at_step");
    }
  }
}

}  // namespace distsim::config::internal
