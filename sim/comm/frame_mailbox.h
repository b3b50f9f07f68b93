// FrameMailbox: the receive side shared by the PeerLink implementations. Frames are put in by
// whoever receives them (the sending thread in-process, a gRPC reactor over the network) and never
// block the putter, so the receive side can always drain. Recv takes them out by (sender, tag).
//
// A frame is held as a list of byte pieces plus an owner that keeps them alive (a vector of floats,
// or gRPC slices): no copy is made until Take() writes into the caller's span.
//
// Thread safety: every method may be called from any thread.
#ifndef DISTSIM_SIM_COMM_FRAME_MAILBOX_H_
#define DISTSIM_SIM_COMM_FRAME_MAILBOX_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sim/comm/peer_link.h"

namespace distsim::comm {

struct InboundFrame {
  std::vector<std::span<const std::byte>> pieces;  // the payload, in order
  size_t bytes = 0;                                // sum of the pieces' sizes
  uint64_t wire_bytes = 0;            // what the frame cost on the wire (payload and framing)
  std::shared_ptr<const void> owner;  // keeps the pieces' memory alive
};

class FrameMailbox {
 public:
  // `spin_micros`: how long a Take spins on the mailbox before it sleeps (0: never spins).
  // Waking a sleeping thread costs tens of microseconds on a virtual machine, more than a small
  // frame takes to arrive; spinning pays only when every rank has a core of its own.
  FrameMailbox(int rank, int size, int spin_micros = 0);

  // Queues a frame from rank `from`. Never blocks (beyond the mutex).
  void Put(int from, const FrameTag& tag, InboundFrame frame);

  // The stream from `from` ended: a Take waiting on it (with nothing queued) returns `why`.
  void ClosePeer(int from, absl::Status why);

  // Every waiting and future Take returns Cancelled.
  void Abort();

  // Waits for (from, tag), removes it and writes it into `out` per `mode`. If `wire_bytes` is
  // not null, adds the frame's wire_bytes to it on success.
  absl::Status Take(int from, const FrameTag& tag, std::span<float> out, RecvMode mode,
                    absl::Time deadline, uint64_t* wire_bytes = nullptr);

  // Frames queued now (for tests).
  size_t queued() const;

  // Takes waiting right now for their frame (spinning or asleep). For tests and diagnostics
  // (PeerLink::blocked_receivers).
  int waiting() const;

 private:
  using Key = std::pair<int, FrameTag>;
  const int rank_;
  const int spin_micros_;
  mutable absl::Mutex mu_;
  std::map<Key, std::deque<InboundFrame>> frames_ ABSL_GUARDED_BY(mu_);
  std::vector<absl::Status> closed_ ABSL_GUARDED_BY(mu_);  // per sender; OK = open
  bool aborted_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<int> waiting_{0};  // Takes inside their spin or wait
  // Bumped by every Put, ClosePeer and Abort: a Take about to sleep spins on it briefly first.
  std::atomic<uint64_t> changes_{0};
};

// The spin budget for a mailbox on a machine running `ranks` ranks: 30 microseconds when every
// rank has a core of its own (measured here: a 2-rank ring allreduce of 31 KiB over TCP went from
// 74 to 53 us), none when they outnumber the cores (spinning then slowed a 4-rank ring on 2 cores).
int SpinMicrosFor(int ranks);

// Writes a frame's pieces into `out` (exactly out.size() * 4 bytes in total), copying or adding.
// Pieces may split a float anywhere.
void UnpackFloats(const std::vector<std::span<const std::byte>>& pieces, std::span<float> out,
                  RecvMode mode);

}  // namespace distsim::comm

#endif  // DISTSIM_SIM_COMM_FRAME_MAILBOX_H_
