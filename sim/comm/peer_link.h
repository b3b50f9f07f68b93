// PeerLink: point-to-point transport between the ranks of one collective group, as the ring
// allreduce (sim/strategy/ring_allreduce.h) sees it. No gRPC here: implementations live in
// inproc_peer_link.h (ranks as threads, for tests) and grpc_peer_link.h (one process per rank).
//
// A frame carries a span of floats and a tag (op, step, segment). Frames with equal (sender, tag)
// are delivered in order; frames with different tags may be received in any order, whatever order
// they were sent in. The receive side always drains: a sender never waits for the receiver to call
// Recv, only for the transport to take the bytes, so any send/receive order that is deadlock-free
// with unbounded buffers is deadlock-free here.
//
// Thread safety: Send and Recv may be called from several threads (one collective usually uses one
// thread); Abort and the counters may be called from any thread at any time.
#ifndef DISTSIM_SIM_COMM_PEER_LINK_H_
#define DISTSIM_SIM_COMM_PEER_LINK_H_

#include <compare>
#include <cstdint>
#include <span>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace distsim::comm {

// Identifies a frame between one sender and one receiver.
struct FrameTag {
  uint32_t op = 0;       // which collective (callers pick distinct ids for concurrent ones)
  uint64_t step = 0;     // training step or any per-call counter
  uint32_t segment = 0;  // the piece of that call
  auto operator<=>(const FrameTag&) const = default;
};

// What Recv does with the payload.
enum class RecvMode {
  kCopy,  // out[i] = payload[i]
  kSum,   // out[i] = out[i] + payload[i]  (one float32 addition per element: a fixed order)
};

class PeerLink {
 public:
  virtual ~PeerLink() = default;

  virtual int rank() const = 0;
  virtual int size() const = 0;

  // Sends `data` to rank `to` (!= rank()). Returns once the link no longer reads `data` (the
  // caller may overwrite it), which needs only the transport, never a matching Recv. Errors:
  // Cancelled after Abort(); Unavailable if `to` is dead or unreachable (the message names it);
  // DeadlineExceeded if the transport did not take the bytes by `deadline`; InvalidArgument for a
  // bad rank or a payload above the link's frame limit.
  virtual absl::Status Send(int to, const FrameTag& tag, std::span<const float> data,
                            absl::Time deadline) = 0;

  // Waits for the frame (from, tag) and stores it into `out` as `mode` says. The frame must hold
  // exactly out.size() floats (else Internal). Errors: Cancelled after Abort(); DeadlineExceeded
  // if the frame has not arrived by `deadline` (a stalled peer); Unavailable if `from`'s stream
  // ended with no such frame queued (the peer died).
  virtual absl::Status Recv(int from, const FrameTag& tag, std::span<float> out,
                            absl::Time deadline, RecvMode mode = RecvMode::kCopy) = 0;

  // Makes every blocked and future Send/Recv on this link return Cancelled promptly (and, over a
  // network, closes the outgoing streams so the peers notice). Idempotent; cannot be undone.
  virtual void Abort() = 0;

  // Bytes this rank put on / took off the transport since construction: payload plus framing
  // (frame headers; for gRPC also its 5-byte message prefix; not HTTP/2 or TCP headers).
  // Received bytes count when Recv consumes the frame, so per-call deltas charge each frame to
  // the call that used it.
  virtual uint64_t bytes_sent() const = 0;
  virtual uint64_t bytes_received() const = 0;

  // Of those, the bytes that crossed a simulated NIC (sim/comm/nic.h): frames to / from a rank on
  // another simulated host, counted as above. 0 for links that are not shaped.
  virtual uint64_t nic_bytes_sent() const { return 0; }
  virtual uint64_t nic_bytes_received() const { return 0; }

  // Recv calls on this link waiting right now for their frame (spinning or asleep): a snapshot,
  // for tests that must know a receiver is parked before they act, and for diagnostics.
  virtual int blocked_receivers() const = 0;
};

}  // namespace distsim::comm

#endif  // DISTSIM_SIM_COMM_PEER_LINK_H_
