#include "sim/strategy/partition.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace distsim::strategy {

ShardMap PartitionBalanced(int64_t total_elems, int k) {
  ShardMap map;
  map.total_elems = total_elems;
  map.shards.resize(std::max(k, 1));
  const int64_t kk = static_cast<int64_t>(map.shards.size());
  for (int64_t s = 0; s < kk; ++s) {
    const int64_t begin = s * total_elems / kk;
    const int64_t end = (s + 1) * total_elems / kk;
    if (end > begin) map.shards[s].push_back({begin, end - begin});
  }
  return map;
}

ShardMap PartitionRoundRobin(const kernels::ParamLayout& layout, int k) {
  ShardMap map;
  map.total_elems = layout.size();
  map.shards.resize(std::max(k, 1));
  const size_t kk = map.shards.size();
  const auto& tensors = layout.tensors();
  for (size_t t = 0; t < tensors.size(); ++t) {
    if (tensors[t].size == 0) continue;
    comm::ShardRanges& ranges = map.shards[t % kk];
    if (!ranges.empty() && ranges.back().offset + ranges.back().size == tensors[t].offset) {
      ranges.back().size += tensors[t].size;
    } else {
      ranges.push_back({tensors[t].offset, tensors[t].size});
    }
  }
  return map;
}

absl::StatusOr<ShardMap> PartitionParams(const kernels::ParamLayout& layout, int k,
                                         Partitioning partitioning) {
  if (k < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("parameter servers: need at least 1 shard, got ", k));
  }
  return partitioning == Partitioning::kBalancedRanges ? PartitionBalanced(layout.size(), k)
                                                       : PartitionRoundRobin(layout, k);
}

std::vector<int64_t> BytesPerShard(const ShardMap& map) {
  std::vector<int64_t> bytes;
  for (const comm::ShardRanges& ranges : map.shards) {
    bytes.push_back(comm::LocalSize(ranges) * static_cast<int64_t>(sizeof(float)));
  }
  return bytes;
}

std::vector<std::vector<std::string>> TensorsPerShard(const ShardMap& map,
                                                      const kernels::ParamLayout& layout) {
  std::vector<std::vector<std::string>> names(map.shards.size());
  for (size_t s = 0; s < map.shards.size(); ++s) {
    for (const kernels::TensorSpec& t : layout.tensors()) {
      for (const comm::Range& r : map.shards[s]) {
        if (t.offset < r.offset + r.size && r.offset < t.offset + t.size) {
          names[s].push_back(t.name);
          break;
        }
      }
    }
  }
  return names;
}

absl::Status CheckShardMap(const ShardMap& map) {
  // Collect (offset, size, shard), sort by offset, and walk: every element exactly once.
  std::vector<std::pair<comm::Range, int>> all;
  for (size_t s = 0; s < map.shards.size(); ++s) {
    int64_t last_end = -1;
    for (const comm::Range& r : map.shards[s]) {
      if (r.size <= 0 || r.offset < 0 || r.offset < last_end) {
        return absl::InternalError(absl::StrCat("shard ", s, ": range [", r.offset, ", ",
                                                r.offset + r.size,
                                                ") is empty, negative or out of order"));
      }
      last_end = r.offset + r.size;
      all.push_back({r, static_cast<int>(s)});
    }
  }
  std::sort(all.begin(), all.end(),
            [](const auto& a, const auto& b) { return a.first.offset < b.first.offset; });
  int64_t next = 0;
  for (const auto& [r, s] : all) {
    if (r.offset > next) {
      return absl::InternalError(absl::StrCat("element ", next, " belongs to no shard"));
    }
    if (r.offset < next) {
      return absl::InternalError(
          absl::StrCat("element ", r.offset, " belongs to shard ", s, " and another shard"));
    }
    next = r.offset + r.size;
  }
  if (next != map.total_elems) {
    return absl::InternalError(absl::StrCat(
        next < map.total_elems ? "element " : "shards extend past the buffer end at element ",
        next, next < map.total_elems ? " belongs to no shard" : ""));
  }
  return absl::OkStatus();
}

}  // namespace distsim::strategy
