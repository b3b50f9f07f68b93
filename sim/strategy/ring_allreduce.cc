#include "sim/strategy/ring_allreduce.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"

namespace distsim::strategy {
namespace {

// The cut of the buffer described below: n chunks, each in segments_per_chunk segments of at
// most segment_len floats.
struct RingCut {
  std::span<float> data;
  int64_t len = 0;  // data.size()
  int n = 1;
  int64_t segment_len = 1;
  int64_t segments_per_chunk = 0;

  int64_t ChunkBegin(int c) const { return c * len / n; }
  // Segment k of chunk c (empty past the chunk's end).
  std::span<float> Segment(int c, int64_t k) const {
    const int64_t begin = ChunkBegin(c), end = ChunkBegin(c + 1);
    const int64_t first = std::min(end, begin + k * segment_len);
    const int64_t last = std::min(end, first + segment_len);
    return data.subspan(first, last - first);
  }
};

RingCut CutOf(std::span<float> data, int n, int64_t segment_bytes) {
  RingCut cut;
  cut.data = data;
  cut.len = static_cast<int64_t>(data.size());
  cut.n = n;
  const int64_t max_chunk = (cut.len + n - 1) / n;
  cut.segment_len = std::max<int64_t>(1, segment_bytes / static_cast<int64_t>(sizeof(float)));
  cut.segments_per_chunk = (max_chunk + cut.segment_len - 1) / cut.segment_len;
  return cut;
}

// The frame of (ring step t, segment k).
comm::FrameTag TagOf(const RingAllreduceOptions& options, const RingCut& cut, int t, int64_t k) {
  return comm::FrameTag{options.op, options.step,
                        static_cast<uint32_t>(t * cut.segments_per_chunk + k)};
}

absl::Status Named(const absl::Status& status, const char* what, int rank, int n, int t) {
  return absl::Status(status.code(),
                      absl::StrCat("ring allreduce on rank ", rank, " of ", n, ", ", what,
                                   " at ring step ", t, ": ", status.message()));
}

}  // namespace

// How the ring works.
//
// The n ranks stand in a ring: rank r sends only to its right neighbour (r + 1) mod n and receives
// only from its left neighbour (r - 1) mod n. The buffer is cut into n chunks (chunk c is
// [c * len / n, (c + 1) * len / n), so chunk sizes differ by at most one element and some are
// empty when len < n), and every chunk into segments of at most segment_bytes.
//
// Reduce-scatter: at ring step t = 0 .. n-2, rank r sends chunk (r - t) mod n and receives chunk
// (r - t - 1) mod n, which it adds into its own copy (RecvMode::kSum). The chunk a rank receives
// at step t is the one it sends at step t + 1, so the partial sums travel round the ring gathering
// one contribution per hop. After n-1 steps rank r holds the complete sum of its owned chunk
// (r + 1) mod n, added in one fixed order (starting at the chunk's index and going right), and
// divides it by n there, once.
//
// Allgather: at ring steps t = n-1 .. 2n-3 the same formulas hold, send chunk (r - t) mod n and
// receive chunk (r - t - 1) mod n, but the received values overwrite (RecvMode::kCopy): each owned
// chunk goes once round the ring, so every rank ends with the owner's exact bits.
//
// Pipelining: a segment is forwarded as soon as it has been received and reduced, so segment k of
// step t + 1 is on the wire while segment k + 1 of step t is still arriving. Rank r primes the
// pipeline by sending every segment of chunk r (step 0) before receiving anything; that is
// deadlock-free because a PeerLink's receive side always drains: Send never waits for a Recv.
// The frame of (ring step t, segment k) is tagged segment = t * segments_per_chunk + k.
absl::Status RingAllreduce(comm::PeerLink& link, std::span<float> data,
                           const RingAllreduceOptions& options) {
  const int n = link.size();
  const int rank = link.rank();
  if (n == 1 || data.empty()) return absl::OkStatus();
  const int right = (rank + 1) % n;
  const int left = (rank + n - 1) % n;
  const int ring_steps = 2 * (n - 1);
  const int reduce_steps = n - 1;
  const RingCut cut = CutOf(data, n, options.segment_bytes);
  const int64_t segments_per_chunk = cut.segments_per_chunk;
  auto tag = [&](int t, int64_t k) { return TagOf(options, cut, t, k); };
  auto deadline = [&] { return absl::Now() + options.stall_timeout; };
  const float ranks_as_float = static_cast<float>(n);

  // Prime: ring step 0 sends this rank's own chunk.
  for (int64_t k = 0; k < segments_per_chunk; ++k) {
    std::span<float> send_segment = cut.Segment(rank, k);
    if (send_segment.empty()) continue;
    absl::Status s = link.Send(right, tag(0, k), send_segment, deadline());
    if (!s.ok()) return Named(s, "send", rank, n, 0);
  }
  for (int t = 0; t < ring_steps; ++t) {
    const int recv_chunk = ((rank - t - 1) % n + n) % n;
    const bool reducing = t < reduce_steps;
    for (int64_t k = 0; k < segments_per_chunk; ++k) {
      std::span<float> recv_segment = cut.Segment(recv_chunk, k);
      if (recv_segment.empty()) continue;
      absl::Status s = link.Recv(left, tag(t, k), recv_segment, deadline(),
                                 reducing ? comm::RecvMode::kSum : comm::RecvMode::kCopy);
      if (!s.ok()) return Named(s, "receive", rank, n, t);
      if (t == reduce_steps - 1 && options.average) {
        // This rank owns recv_chunk now: average it once, before it goes round.
        for (float& x : recv_segment) x = x / ranks_as_float;
      }
      if (t + 1 < ring_steps) {
        s = link.Send(right, tag(t + 1, k), recv_segment, deadline());
        if (!s.ok()) return Named(s, "send", rank, n, t + 1);
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace distsim::strategy
