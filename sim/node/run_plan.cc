#include "sim/node/run_plan.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace distsim::node {

bool IsDistributed(const RunConfig& config) {
  return config.has_parameter_server() || config.has_allreduce();
}

ClusterShape ShapeOf(const RunConfig& config) {
  ClusterShape shape;
  shape.workers = static_cast<int>(std::max<uint32_t>(1, config.workers()));
  if (config.has_parameter_server()) {
    const auto& ps = config.parameter_server();
    const bool colocated = ps.placement() == ParameterServerStrategy::COLOCATED;
    shape.servers = colocated ? shape.workers : static_cast<int>(std::max<uint32_t>(1, ps.servers()));
    for (int i = 0; i < shape.servers; ++i) shape.server_host.push_back(i);
    for (int i = 0; i < shape.workers; ++i) {
      shape.worker_host.push_back(colocated ? i : shape.servers + i);
    }
  } else {
    for (int i = 0; i < shape.workers; ++i) shape.worker_host.push_back(i);
  }
  return shape;
}

data::DistributionSpec DistributionOf(const RunConfig& config) {
  data::DistributionSpec spec;
  switch (config.data().distribution()) {
    case DataConfig::SHARDED_BY_KEY:
      spec.distribution = data::Distribution::kShardedByKey;
      break;
    case DataConfig::GLOBAL_BATCH_SLICE:
      spec.distribution = data::Distribution::kGlobalBatchSlice;
      break;
    default:
      spec.distribution = data::Distribution::kFullyReplicated;
  }
  spec.objects = config.data().objects() ? config.data().objects() : 10;
  spec.grouping = config.data().grouping() == DataConfig::BY_LABEL ? data::Grouping::kByLabel
                                                                   : data::Grouping::kShuffled;
  return spec;
}

absl::StatusOr<strategy::ShardMap> ShardMapOf(const RunConfig& config,
                                              const kernels::ParamLayout& layout) {
  const ClusterShape shape = ShapeOf(config);
  const auto partitioning =
      config.parameter_server().partitioning() == ParameterServerStrategy::ROUND_ROBIN_TENSORS
          ? strategy::Partitioning::kRoundRobinTensors
          : strategy::Partitioning::kBalancedRanges;
  return strategy::PartitionParams(layout, shape.servers, partitioning);
}

std::string DescribeStrategy(const RunConfig& config) {
  const ClusterShape shape = ShapeOf(config);
  if (config.has_parameter_server()) {
    const auto& ps = config.parameter_server();
    std::string mode = ParameterServerStrategy::Mode_Name(ps.mode());
    if (ps.mode() == ParameterServerStrategy::SSP) absl::StrAppend(&mode, " s=", ps.staleness());
    return absl::StrFormat("parameter_server %s, %d server%s (%s), %d worker%s", mode,
                           shape.servers, shape.servers == 1 ? "" : "s",
                           ParameterServerStrategy::Placement_Name(ps.placement()), shape.workers,
                           shape.workers == 1 ? "" : "s");
  }
  if (config.has_allreduce()) {
    return absl::StrFormat("allreduce %s, %d worker%s",
                           AllreduceStrategy::Algorithm_Name(config.allreduce().algorithm()),
                           shape.workers, shape.workers == 1 ? "" : "s");
  }
  return "local";
}

}  // namespace distsim::node
