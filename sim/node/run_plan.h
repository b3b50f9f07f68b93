// The facts of one run, derived from its defaulted config: which processes, on which simulated
// hosts, how the model is split over the servers and the data over the workers. Every part of a
// run (the launcher, the roles, the modelled clock, `distsim plan`) takes them from here.
#ifndef DISTSIM_SIM_NODE_RUN_PLAN_H_
#define DISTSIM_SIM_NODE_RUN_PLAN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "distsim/config.pb.h"
#include "kernels/param_layout.h"
#include "sim/data/distribution.h"
#include "sim/strategy/partition.h"

namespace distsim::node {

struct ClusterShape {
  int servers = 0;  // parameter-server processes (0 unless parameter_server)
  int workers = 1;
  std::vector<uint32_t> server_host;  // simulated host of each server
  std::vector<uint32_t> worker_host;  // simulated host of each worker
};

// DEDICATED: servers on hosts 0..k-1, workers on hosts k..k+n-1. COLOCATED: server i and worker i
// on host i. Allreduce and local: worker i on host i.
ClusterShape ShapeOf(const RunConfig& config);

bool IsDistributed(const RunConfig& config);

// The config's data distribution in sim/data's terms.
data::DistributionSpec DistributionOf(const RunConfig& config);

// Parameter-server shard map of `layout` for the config (balanced ranges or round-robin).
absl::StatusOr<strategy::ShardMap> ShardMapOf(const RunConfig& config,
                                              const kernels::ParamLayout& layout);

// "parameter_server ASYNC, 1 server (DEDICATED), 4 workers"; "allreduce RING, 4 workers"; "local".
std::string DescribeStrategy(const RunConfig& config);

}  // namespace distsim::node

#endif  // DISTSIM_SIM_NODE_RUN_PLAN_H_
