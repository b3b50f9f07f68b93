// Placement of the flat parameter buffer on k parameter-server shards.
//
// Two partitionings (config.proto ParameterServerStrategy.Partitioning):
//  * balanced ranges: shard s owns ONE contiguous range, [s * N / k, (s + 1) * N / k), so the
//    shards hold equal bytes to within one float;
//  * round-robin tensors: tensor t (in layout order) goes whole to shard t mod k, TensorFlow's
//    replica_device_setter placement. Unbalanced by construction: on the CNN the dense-1024
//    weight (3.2M of 3.27M parameters) lands on one shard. A shard then owns several ranges.
// Either way every element belongs to exactly one shard (CheckShardMap verifies it). Shards may be
// empty (k larger than the tensor count, or than N). Pure functions; thread-compatible.
#ifndef DISTSIM_SIM_STRATEGY_PARTITION_H_
#define DISTSIM_SIM_STRATEGY_PARTITION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "kernels/param_layout.h"
#include "sim/comm/ps_client.h"

namespace distsim::strategy {

enum class Partitioning { kBalancedRanges, kRoundRobinTensors };

// The shard map: shards[s] lists the ranges shard s owns, ascending.
struct ShardMap {
  int64_t total_elems = 0;
  std::vector<comm::ShardRanges> shards;
};

// Balanced contiguous ranges of a buffer of `total_elems` floats over k >= 1 shards.
ShardMap PartitionBalanced(int64_t total_elems, int k);

// Whole tensors of `layout`, round-robin over k >= 1 shards. Adjacent tensors that land on the same
// shard (k = 1) are merged into one range.
ShardMap PartitionRoundRobin(const kernels::ParamLayout& layout, int k);

// Either of the above; InvalidArgument for k < 1.
absl::StatusOr<ShardMap> PartitionParams(const kernels::ParamLayout& layout, int k,
                                         Partitioning partitioning);

// Bytes each shard holds (4 per float), index = shard.
std::vector<int64_t> BytesPerShard(const ShardMap& map);

// The tensors (names) each shard holds, in whole or in part, for `distsim plan`.
std::vector<std::vector<std::string>> TensorsPerShard(const ShardMap& map,
                                                      const kernels::ParamLayout& layout);

// OK iff every element of [0, total_elems) is in exactly one range of one shard and the ranges of
// each shard are ascending; otherwise Internal naming the first element missed or repeated.
absl::Status CheckShardMap(const ShardMap& map);

}  // namespace distsim::strategy

#endif  // DISTSIM_SIM_STRATEGY_PARTITION_H_
