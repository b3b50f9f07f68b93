// Ring allreduce over a PeerLink: every rank passes the same-length buffer and every rank ends
// with the element-wise sum (or average) of all of them, bit-identical on every rank and on every
// run with the same inputs. Bandwidth-optimal: each rank sends and receives 2(n-1)/n of the buffer.
// See ring_allreduce.cc for how the ring works.
//
// Thread safety: one call at a time per link and op id (different op ids may run concurrently on
// the same link). The call blocks the calling thread until done or failed.
#ifndef DISTSIM_SIM_STRATEGY_RING_ALLREDUCE_H_
#define DISTSIM_SIM_STRATEGY_RING_ALLREDUCE_H_

#include <cstdint>
#include <span>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "sim/comm/peer_link.h"

namespace distsim::strategy {

struct RingAllreduceOptions {
  // Largest piece sent in one frame. Smaller pieces overlap sending with reducing; larger ones
  // amortise the per-message cost (gRPC here: ~1.8 GB/s at 64 KiB, ~2.5 GB/s at 1 MiB).
  int64_t segment_bytes = 1 << 20;
  bool average = true;    // divide the sum by the number of ranks
  uint32_t op = 1;        // frame tag: which collective
  uint64_t step = 0;      // frame tag: which call (use a new value per call)
  // Longest wait for any one frame from the left neighbour (a stalled peer) or for the transport
  // to take one frame; past it the call fails with DeadlineExceeded.
  absl::Duration stall_timeout = absl::Seconds(60);
};

// Replaces `data` (equal length on every rank) with the sum, or average, over all ranks of
// `link`. n == 1 leaves data unchanged; any length works (0, fewer elements than ranks, not a
// multiple of n). Errors are the link's (Cancelled after Abort, Unavailable if a neighbour died,
// DeadlineExceeded if one stalled), with this rank named; `data` is then unspecified.
absl::Status RingAllreduce(comm::PeerLink& link, std::span<float> data,
                           const RingAllreduceOptions& options);

}  // namespace distsim::strategy

#endif  // DISTSIM_SIM_STRATEGY_RING_ALLREDUCE_H_
