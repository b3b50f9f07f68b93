// The parameter-server transport, seen from both ends, without gRPC.
//
//  * ShardRanges: which elements of the flat parameter buffer one shard owns. A shard's LOCAL
//    buffer is the concatenation of its ranges; chunk c of a shard is local elements
//    [c * chunk_elems, min((c + 1) * chunk_elems, size)). Pushes and pulls move chunks.
//  * PsShardHandler: what a shard server does (implemented by strategy::PsShard; the gRPC service
//    in grpc_ps.h and the in-process client in inproc_ps.h only adapt it). Waits are bounded long
//    polls: nothing blocks longer than the max_wait it is given. A server may instead check
//    readiness without waiting (max_wait 0) and be told of changes (SetChangeListener).
//  * PsClient: one worker's view of all shards: Pull the whole flat buffer, Push a whole gradient.
//    Implementations: MakeInProcessPsClient (inproc_ps.h), MakeGrpcPsClient (grpc_ps.h).
//
// Protocol of one worker step, with `clock` = pushes this worker completed so far (0-based step):
//     Pull(clock, params)  -> waits as the mode says (SYNC: the averaged update of the previous
//                             step; SSP: the slowest worker reached clock - s), then reads
//     Push(clock, grads, versions from that Pull)  -> applied (ASYNC/SSP) or accumulated (SYNC)
// and after the last step Done().
#ifndef DISTSIM_SIM_COMM_PS_CLIENT_H_
#define DISTSIM_SIM_COMM_PS_CLIENT_H_

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace distsim::comm {

// [offset, offset + size) of the flat buffer.
struct Range {
  int64_t offset = 0;
  int64_t size = 0;
};
// The ranges one shard owns, in ascending offset order, not overlapping.
using ShardRanges = std::vector<Range>;

// Sum of the range sizes: the length of the shard's local buffer.
int64_t LocalSize(const ShardRanges& ranges);
// Copies local elements [local_offset, local_offset + out.size()) of the shard from `flat`.
void GatherLocal(const ShardRanges& ranges, int64_t local_offset, std::span<const float> flat,
                 std::span<float> out);
// Copies `in` to local elements [local_offset, local_offset + in.size()) of the shard in `flat`.
void ScatterLocal(const ShardRanges& ranges, int64_t local_offset, std::span<const float> in,
                  std::span<float> flat);
// Elements per chunk for `chunk_bytes` (at least 1), and the number of chunks of `size` elements.
int64_t ChunkElems(int64_t chunk_bytes);
int NumChunks(int64_t size, int64_t chunk_elems);

// Answer to a long poll for a pull.
struct PullGrant {
  bool ready = false;    // the worker may read now
  uint64_t version = 0;  // shard version (updates applied) when granted
  int blocker = -1;      // not ready: the slowest worker, the one being waited on
  uint64_t blocker_clock = 0;
  uint64_t progress = 0;  // changes whenever the shard's state advances
};

// Where a worker whose process died stands on one shard (Rejoin).
struct RejoinPoint {
  uint64_t clock = 0;  // pushes of the worker the shard finished
  bool cut = false;    // a push of it was cut off part-way; its arrived chunks were applied
};

struct PushAck {
  uint64_t staleness = 0;  // version at apply minus the version the gradient was computed from
  uint64_t version = 0;    // shard version after this push
};

// Server side of one shard. Implementations are thread-safe: every method may be called from
// several threads (one per worker connection) at once.
class PsShardHandler {
 public:
  virtual ~PsShardHandler() = default;

  virtual int shard_id() const = 0;
  virtual int num_workers() const = 0;
  virtual int64_t size() const = 0;         // elements owned (local buffer length)
  virtual int64_t chunk_elems() const = 0;  // elements per chunk
  int num_chunks() const { return NumChunks(size(), chunk_elems()); }

  // Waits up to `max_wait` until worker `worker`, whose clock on this shard is `clock`, may read.
  // Not ready after max_wait is not an error (ready = false, blocker set). Cancelled once
  // aborted; FailedPrecondition if `clock` is not the worker's clock here; InvalidArgument for a
  // worker out of range.
  virtual absl::StatusOr<PullGrant> WaitPull(int worker, uint64_t clock,
                                             absl::Duration max_wait) = 0;

  // Copies chunk `chunk` of the parameters to `out` (exactly that chunk's length), atomically
  // with respect to updates of that chunk.
  virtual absl::Status ReadChunk(int chunk, std::span<float> out) = 0;

  // Chunk `chunk` of the gradient of worker `worker` at `clock`. Chunks of one push arrive in
  // order 0, 1, ...; ASYNC/SSP apply each on arrival, SYNC accumulates and applies the average
  // once every worker's chunk is in. Never waits on other workers.
  virtual absl::Status PushChunk(int worker, uint64_t clock, int chunk,
                                 std::span<const float> grad) = 0;

  // Ends the push of `worker` at `clock` (all chunks given): the worker's clock becomes clock + 1.
  // `pulled_version` is the version the gradient was computed from (from the PullGrant).
  virtual absl::StatusOr<PushAck> FinishPush(int worker, uint64_t clock,
                                             uint64_t pulled_version) = 0;

  // `worker` will push no more: SYNC and SSP stop waiting for it.
  virtual absl::Status WorkerDone(int worker) = 0;

  // A new process of `worker` (ASYNC, SSP) asks where it stands. Once asked, a pull at the clock
  // before the worker's is granted too, once, so that a worker whose last push was finished by
  // some shards and not others can do that step again: shards that finished it take its chunks
  // and finish as replays. Unimplemented where the mode has no rejoin (SYNC).
  virtual absl::StatusOr<RejoinPoint> Rejoin(int /*worker*/) {
    return absl::UnimplementedError("this parameter server does not take a worker back");
  }

  // Releases every waiter with Cancelled; every later call fails with Cancelled.
  virtual void Abort() = 0;

  // For servers that park waiting pulls instead of blocking a thread in WaitPull (grpc_ps.cc):
  // registers `listener`, called after every change that can make a waiting pull ready or fail
  // (a push finished, a worker done, abort), on the thread that made the change and never while
  // the handler's own lock is held. It must be quick, must not block, and must not call
  // SetChangeListener. Replaces any earlier listener; nullptr removes it, and once that call
  // returns no listener set before it is running or will run again. Returns false if this
  // handler cannot notify (the default), in which case the caller must poll.
  virtual bool SetChangeListener(std::function<void()> /*listener*/) { return false; }
};

struct PsClientOptions {
  int worker = 0;
  int64_t total_elems = 0;          // length of the flat buffer
  std::vector<ShardRanges> shards;  // the shard map, index = shard id
  int64_t chunk_bytes = 1 << 20;    // must equal the servers'
  // Length of one long poll. Re-issued until ready, so it bounds how long a call is held.
  absl::Duration poll = absl::Milliseconds(500);
  // Waiting this long while nothing advances on the shard (no worker's clock, no version) is a
  // stall: DeadlineExceeded naming the worker waited on. Waiting while others progress is not.
  absl::Duration stall_timeout = absl::Seconds(60);
};

struct PullResult {
  std::vector<uint64_t> versions;  // per shard: the version read (pass to Push)
  double wait_s = 0;               // time spent in not-ready polls (the slowest shard's)
};

struct PushResult {
  uint64_t staleness = 0;  // max over shards
  uint64_t version = 0;    // max over shards of the shard version after the push (ASYNC/SSP:
                           // updates applied so far, all workers together: the global step)
};

// A worker's connection to every shard. Pull and Push talk to all shards (in parallel for gRPC).
// Thread safety: Pull, Push and Done are called by one thread (the worker's); Abort and the byte
// counters may be called from any thread at any time.
class PsClient {
 public:
  virtual ~PsClient() = default;

  // Fills `params` (total_elems floats) once this worker at `clock` may read on every shard.
  virtual absl::Status Pull(uint64_t clock, std::span<float> params, PullResult* result) = 0;

  // Pushes `grads` (total_elems floats) computed from the parameters of `versions` (one per
  // shard, as returned by the Pull). Returns once every shard has applied or accumulated it.
  virtual absl::Status Push(uint64_t clock, std::span<const float> grads,
                            std::span<const uint64_t> versions, PushResult* result) = 0;

  // This worker has finished; tells every shard.
  virtual absl::Status Done() = 0;

  // A new process of this worker after its predecessor died: every shard's point (Rejoin above),
  // by shard id. The worker goes on at the smallest clock.
  virtual absl::StatusOr<std::vector<RejoinPoint>> Rejoin() = 0;

  // Makes the current and every later call return Cancelled promptly.
  virtual void Abort() = 0;

  // Bytes moved so far, as the transport counts them (gRPC: serialized messages plus their 5-byte
  // frame prefix; in-process: the float payload).
  virtual uint64_t bytes_sent() const = 0;
  virtual uint64_t bytes_received() const = 0;
  // Of those, the bytes that crossed a simulated NIC (sim/comm/nic.h): traffic with shards on
  // another simulated host. 0 for clients that are not shaped.
  virtual uint64_t nic_bytes_sent() const { return 0; }
  virtual uint64_t nic_bytes_received() const { return 0; }
  virtual int num_shards() const = 0;
};

// Client-side stall detection over successive not-ready polls of one shard.
class StallTracker {
 public:
  explicit StallTracker(absl::Duration stall_timeout) : timeout_(stall_timeout) {}
  // Records a not-ready grant; returns DeadlineExceeded naming the blocker when the shard has
  // not progressed for longer than the stall timeout.
  absl::Status Observe(const PullGrant& grant, int worker, int shard);

 private:
  absl::Duration timeout_;
  bool seen_ = false;
  uint64_t progress_ = 0;
  absl::Time since_;
};

}  // namespace distsim::comm

#endif  // DISTSIM_SIM_COMM_PS_CLIENT_H_
