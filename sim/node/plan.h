// The shape of a run before it starts: which processes, on which simulated hosts, how the model
// is split over the servers and the data over the workers, and the bytes a step should move.
// `distsim plan` prints it; the launcher and the role processes use the same numbers.
#ifndef DISTSIM_SIM_NODE_PLAN_H_
#define DISTSIM_SIM_NODE_PLAN_H_

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

// Expected bytes a worker moves per step (payload only, both directions), and per server.
struct ExpectedBytes {
  double worker_per_step = 0;
  std::vector<double> server_per_step;  // per server, all workers' traffic to it
  double worker_off_host_per_step = 0;  // COLOCATED: the part that leaves the worker's host
};
ExpectedBytes ExpectBytes(const RunConfig& config, int64_t params,
                          const strategy::ShardMap* shards);

// The simulated cluster of `config` as text: instance, network, clock, the modelled cost of one
// step's communication, faults.
std::string FormatCluster(const RunConfig& config, int64_t params,
                          const strategy::ShardMap* shards, double train_flops_per_example);

// The whole plan as text for `distsim plan`: processes, shard map with bytes per shard and the
// tensors on each, data per worker, expected bytes per step.
absl::StatusOr<std::string> FormatPlan(const RunConfig& config, const std::string& data_dir);

}  // namespace distsim::node

#endif  // DISTSIM_SIM_NODE_PLAN_H_
