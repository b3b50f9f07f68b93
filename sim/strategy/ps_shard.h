// PsShard: the arithmetic and the waiting of one parameter-server shard, without any transport.
//
// A shard owns some ranges of the flat parameter buffer (its local buffer is their
// concatenation), one optimizer per chunk of that local buffer (optimizers are element-wise, so
// per-chunk optimizers compute exactly what one optimizer over the shard would, and a chunk can be
// updated as soon as it arrives), a version counter and a clock per worker.
//
//   clock[w]  pushes worker w completed on this shard.
//   version   updates applied: ASYNC/SSP one per push, SYNC one per step (the average of the
//             gradients of every worker still training).
//
// Pull rule, for worker w at clock c (WaitPull):
//   ASYNC  always ready, reads the newest values.
//   SYNC   ready once version >= c (the averaged update of step c - 1 is applied).
//   SSP(s) ready once every worker not done has clock >= c - s (s = 0: lockstep, n updates per
//          clock). Pushes are applied on arrival as in ASYNC.
// Pushes never wait. ASYNC/SSP apply each chunk on arrival; when FinishPush returns the whole
// update is applied, so the worker's next pull sees it. SYNC accumulates; the last contribution to
// a chunk applies the average, and the version advances once every contributor has finished.
// Staleness of an applied update = version at apply - version the gradient was computed from.
//
// Learning rate (options.learning_rate, default untouched): every chunk of one update gets the
// rate of that update's index on this shard. SYNC: the index is the version (the step's one
// averaged update is update `version`). ASYNC/SSP: the index is the number of pushes this shard
// had begun (received a first chunk of) before this one, fixed when its first chunk arrives; it
// equals the version when pushes do not overlap, and overlapping pushes still get distinct
// indices.
//
// Membership: n workers, fixed at construction. WorkerDone(w) removes w from every wait (SSP no
// longer waits for it, SYNC no longer expects its gradient). Abort() releases all waiters with
// Cancelled.
//
// Thread safety: all public methods are thread-safe (one mutex; chunk updates run under it). The
// change listener (SetChangeListener) runs after that mutex is released, on the calling thread.
#ifndef DISTSIM_SIM_STRATEGY_PS_SHARD_H_
#define DISTSIM_SIM_STRATEGY_PS_SHARD_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "kernels/optimizer.h"
#include "sim/comm/ps_client.h"
#include "sim/strategy/lr_schedule.h"
#include "sim/strategy/shard_trace.h"
#include "sim/strategy/staleness.h"

namespace distsim::strategy {

enum class PsMode { kSync, kAsync, kSsp };

// A shard's whole state at a version (a coordinated checkpoint's part, node/checkpoint.h).
struct ShardState {
  uint64_t version = 0;
  std::vector<float> params;             // the local buffer
  std::vector<float> optimizer_state;    // each chunk's Optimizer::state() buffers, in order
  std::vector<int64_t> optimizer_steps;  // each chunk's Optimizer::steps()
};

struct PsShardOptions {
  int shard_id = 0;
  int num_workers = 1;
  PsMode mode = PsMode::kAsync;
  uint32_t staleness = 0;           // SSP bound s
  int64_t chunk_bytes = 1 << 20;    // must equal the clients'
  // Warm-up by update index (see the top of this file); base must be the factory's optimizers'
  // rate when it warms up (checked: > 0). Default: none, the optimizers' rates are never touched.
  LearningRateSchedule learning_rate;
  // A chunk holding a NaN or an infinity is never applied. false (on_bad_gradient STOP): it is
  // refused with DataLoss. true (SKIP): the push is dropped from that chunk on, and counted.
  bool skip_bad_gradients = false;
  // The most apply and parked-pull spans kept for the trace (ShardTrace, sampled by step); 0:
  // none recorded.
  size_t trace_capacity = 0;
  // SYNC: each time the version reaches a multiple of checkpoint_every, on_checkpoint gets the
  // state at that version. It runs under the shard's lock, so no worker's next step can pass a
  // checkpoint before it is written: once a pull of clock s is granted, every shard's state at s
  // is saved. Its first error is kept (checkpoint_error) and later checkpoints are skipped.
  uint64_t checkpoint_every = 0;
  std::function<absl::Status(const ShardState&)> on_checkpoint;
};

// Makes the optimizer for `size` elements (e.g. node::MakeOptimizer bound to the config).
using OptimizerFactory =
    std::function<std::unique_ptr<kernels::Optimizer<float>>(int64_t size)>;

class PsShard final : public comm::PsShardHandler {
 public:
  // `initial_params` is the WHOLE flat buffer (e.g. Model::Init's output); the shard copies its
  // ranges out of it. `ranges` must lie inside it.
  PsShard(const PsShardOptions& options, comm::ShardRanges ranges,
          std::span<const float> initial_params, const OptimizerFactory& make_optimizer);

  // comm::PsShardHandler (see there for the contracts).
  int shard_id() const override { return options_.shard_id; }
  int num_workers() const override { return options_.num_workers; }
  int64_t size() const override { return size_; }
  int64_t chunk_elems() const override { return chunk_elems_; }
  absl::StatusOr<comm::PullGrant> WaitPull(int worker, uint64_t clock,
                                           absl::Duration max_wait) override;
  absl::Status ReadChunk(int chunk, std::span<float> out) override;
  absl::Status PushChunk(int worker, uint64_t clock, int chunk,
                         std::span<const float> grad) override;
  absl::StatusOr<comm::PushAck> FinishPush(int worker, uint64_t clock,
                                           uint64_t pulled_version) override;
  // The worker died (on_worker_failure CONTINUE): it is done from now on, and a push it left
  // half-way is forgotten (ASYNC/SSP already applied the chunks that arrived, as a real server
  // would have). SSP stops waiting for it. From then on a pull in its name is granted at once
  // with the newest parameters, whatever the clock (the coordinator evaluates that way when the
  // chief died). Idempotent.
  absl::Status DropWorker(int worker);
  absl::Status WorkerDone(int worker) override;
  // ASYNC/SSP: a new process of `worker` (its predecessor died) asks its clock here and whether
  // a push of it was cut off part-way; its next push at that clock skips the chunks that arrived
  // (they were applied). Then a pull at the clock before (a push other shards did not finish) is
  // granted once too, at once, with the newest parameters; the push after it is a replay.
  // Unimplemented under SYNC (it restarts from a checkpoint instead).
  absl::StatusOr<comm::RejoinPoint> Rejoin(int worker) override;
  void Abort() override;
  bool SetChangeListener(std::function<void()> listener) override;

  // Observers, for metrics and tests.
  const comm::ShardRanges& ranges() const { return ranges_; }
  uint64_t version() const;
  std::vector<uint64_t> clocks() const;
  StalenessStats staleness() const;
  // WaitPull calls blocked right now waiting for the shard to advance (pushes never block). For
  // tests that must know a pull is parked before they act.
  int parked() const;
  // A pushed chunk holding a non-finite value is never applied. It is refused (DataLoss, exit
  // 65, naming the worker and the step: the message it carries is malformed), or with
  // skip_bad_gradients its push is dropped from that chunk on and the push succeeds. The first
  // such push, described for the run's error line or its summary, and how many were refused or
  // dropped.
  std::optional<std::string> first_bad_push() const {
    absl::MutexLock lock(&mu_);
    return first_bad_push_;
  }
  uint64_t pushes_refused() const {
    absl::MutexLock lock(&mu_);
    return pushes_refused_;
  }
  uint64_t pushes_skipped() const {
    absl::MutexLock lock(&mu_);
    return pushes_skipped_;
  }
  // The spans kept for the trace (see ShardTrace), times on the shard's trace clock (seconds
  // since construction), and the step stride they were sampled at.
  std::vector<ShardSpan> trace_spans() const {
    absl::MutexLock lock(&mu_);
    return trace_.spans();
  }
  uint64_t trace_stride() const {
    absl::MutexLock lock(&mu_);
    return trace_.stride();
  }
  // Writes this shard's parameters into its ranges of the whole flat buffer `flat`.
  void CopyParamsTo(std::span<float> flat) const;
  // The state now (ps_shard_state.cc).
  ShardState State() const;
  // Continues from `state` (a checkpoint): before any worker calls, every worker's clock and the
  // version become state.version. InvalidArgument when its sizes are not this shard's.
  absl::Status Restore(const ShardState& state);
  // The first error of options.on_checkpoint, OK while none.
  absl::Status checkpoint_error() const {
    absl::MutexLock lock(&mu_);
    return checkpoint_error_;
  }

 private:
  struct Chunk {
    std::unique_ptr<kernels::Optimizer<float>> optimizer;
    // SYNC: each worker's gradient of the current step, summed in worker order once all are in,
    // so the average has the same bits whatever order the pushes arrived in.
    std::vector<std::vector<float>> parts;
    std::vector<bool> has_part;
    std::vector<float> sum;
    int contributions = 0;   // SYNC: how many parts are in
    int skipped = 0;         // SYNC: parts dropped for a non-finite value (skip_bad_gradients)
    bool applied = false;    // SYNC: updated in the current step
  };

  // Cancelled once aborted; InvalidArgument for a worker out of range.
  absl::Status CheckMemberLocked(int worker) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // Whether (worker, clock, chunk) was applied already (a replay after a retry).
  bool IsReplayLocked(int worker, uint64_t clock, int chunk) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // Whether `clock` is the last push `worker` finished here.
  bool FinishedLocked(int worker, uint64_t clock) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // When `grad` holds a NaN or an infinity: what was pushed (the first is kept for
  // first_bad_push), counted as refused or skipped. nullopt when every value is finite.
  std::optional<std::string> CheckFiniteLocked(int worker, uint64_t clock, int chunk,
                                               std::span<const float> grad)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // skip_bad_gradients: takes chunk `chunk` of `worker`'s push as received without using it.
  void DropChunkLocked(int worker, int chunk) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status CheckWorkerLocked(int worker, uint64_t clock) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool PullReadyLocked(uint64_t clock) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The worker not done with the smallest clock (-1 if all are done).
  int SlowestLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // SYNC: workers whose gradient the current step needs: those still training and those done
  // after contributing to it.
  int SyncNeededLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ApplySyncChunkLocked(int chunk) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // SYNC: applies every complete chunk and advances the version if the step is complete.
  void TrySyncCompleteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::span<float> ChunkParamsLocked(int chunk) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  ShardState StateLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // SYNC, once the version advanced: the checkpoint due at this version, if any.
  void CheckpointLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AdvanceLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The bodies of FinishPush and WorkerDone (they take mu_); the public methods add NotifyChange.
  absl::StatusOr<comm::PushAck> FinishPushUnnotified(int worker, uint64_t clock,
                                                     uint64_t pulled_version)
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status WorkerDoneUnnotified(int worker) ABSL_LOCKS_EXCLUDED(mu_);
  // Calls the change listener, if any. Must be called without mu_.
  void NotifyChange() ABSL_LOCKS_EXCLUDED(mu_);

  const PsShardOptions options_;
  const comm::ShardRanges ranges_;
  const int64_t size_;
  const int64_t chunk_elems_;

  mutable absl::Mutex mu_;
  absl::CondVar changed_;  // signalled on every clock, version or membership change, and abort
  std::vector<float> params_ ABSL_GUARDED_BY(mu_);
  std::vector<Chunk> chunks_ ABSL_GUARDED_BY(mu_);
  int parked_ ABSL_GUARDED_BY(mu_) = 0;  // WaitPull calls in changed_.WaitWithDeadline
  std::optional<std::string> first_bad_push_ ABSL_GUARDED_BY(mu_);
  uint64_t pushes_refused_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t pushes_skipped_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t version_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t progress_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<uint64_t> clock_ ABSL_GUARDED_BY(mu_);
  std::vector<int> next_chunk_ ABSL_GUARDED_BY(mu_);  // next chunk expected in a worker's push
  // skip_bad_gradients: the chunk of a worker's push in progress from which it is dropped, -1.
  std::vector<int> dropping_from_ ABSL_GUARDED_BY(mu_);
  std::vector<comm::PushAck> last_ack_ ABSL_GUARDED_BY(mu_);  // each worker's last finish
  // ASYNC/SSP: pushes begun (first chunk received) so far, and each worker's current push's
  // update index (its learning rate's).
  int64_t pushes_begun_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<int64_t> push_update_ ABSL_GUARDED_BY(mu_);
  std::vector<bool> done_ ABSL_GUARDED_BY(mu_);
  std::vector<bool> dropped_ ABSL_GUARDED_BY(mu_);  // DropWorker: reads the newest at any clock
  std::vector<bool> rejoined_ ABSL_GUARDED_BY(mu_);  // Rejoin asked, no push finished since
  bool aborted_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status checkpoint_error_ ABSL_GUARDED_BY(mu_);
  StalenessStats staleness_ ABSL_GUARDED_BY(mu_);
  ShardTrace trace_ ABSL_GUARDED_BY(mu_);
  std::vector<double> push_begin_s_ ABSL_GUARDED_BY(mu_);  // trace clock at a push's chunk 0

  // Held while the listener runs (never together with mu_), so that removing it waits for a call
  // in progress.
  absl::Mutex listener_mu_;
  std::function<void()> listener_ ABSL_GUARDED_BY(listener_mu_);
};

}  // namespace distsim::strategy

#endif  // DISTSIM_SIM_STRATEGY_PS_SHARD_H_
