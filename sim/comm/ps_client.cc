#include "sim/comm/ps_client.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace distsim::comm {
namespace {

// Calls fn(flat_offset, local_offset_within_piece, length) for every piece of local elements
// [local_offset, local_offset + count) of the shard.
template <typename Fn>
void ForEachPiece(const ShardRanges& ranges, int64_t local_offset, int64_t count, Fn fn) {
  int64_t range_start = 0;  // local offset of the current range
  int64_t done = 0;
  for (const Range& r : ranges) {
    if (done == count) return;
    const int64_t range_end = range_start + r.size;
    const int64_t want = local_offset + done;
    if (want < range_end) {
      const int64_t in_range = want - range_start;
      const int64_t n = std::min(count - done, r.size - in_range);
      fn(r.offset + in_range, done, n);
      done += n;
    }
    range_start = range_end;
  }
}

}  // namespace

int64_t LocalSize(const ShardRanges& ranges) {
  int64_t total = 0;
  for (const Range& r : ranges) total += r.size;
  return total;
}

void GatherLocal(const ShardRanges& ranges, int64_t local_offset, std::span<const float> flat,
                 std::span<float> out) {
  ForEachPiece(ranges, local_offset, static_cast<int64_t>(out.size()),
               [&](int64_t flat_offset, int64_t out_offset, int64_t n) {
                 std::memcpy(out.data() + out_offset, flat.data() + flat_offset, n * sizeof(float));
               });
}

void ScatterLocal(const ShardRanges& ranges, int64_t local_offset, std::span<const float> in,
                  std::span<float> flat) {
  ForEachPiece(ranges, local_offset, static_cast<int64_t>(in.size()),
               [&](int64_t flat_offset, int64_t in_offset, int64_t n) {
                 std::memcpy(flat.data() + flat_offset, in.data() + in_offset, n * sizeof(float));
               });
}

int64_t ChunkElems(int64_t chunk_bytes) {
  return std::max<int64_t>(1, chunk_bytes / static_cast<int64_t>(sizeof(float)));
}

int NumChunks(int64_t size, int64_t chunk_elems) {
  return static_cast<int>((size + chunk_elems - 1) / chunk_elems);
}

absl::Status StallTracker::Observe(const PullGrant& grant, int worker, int shard) {
  const absl::Time now = absl::Now();
  if (!seen_ || grant.progress != progress_) {
    seen_ = true;
    progress_ = grant.progress;
    since_ = now;
    return absl::OkStatus();
  }
  if (now - since_ <= timeout_) return absl::OkStatus();
  return absl::DeadlineExceededError(
      absl::StrCat("worker ", worker, " waited ", absl::FormatDuration(now - since_), " on shard ",
                   shard, " for worker ", grant.blocker, " (stuck at clock ", grant.blocker_clock,
                   "): rank ", grant.blocker, " is stalled"));
}

}  // namespace distsim::comm
