#include "sim/strategy/ps_shard.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "sim/base/check.h"
#include "sim/base/status.h"

namespace distsim::strategy {

PsShard::PsShard(const PsShardOptions& options, comm::ShardRanges ranges,
                 std::span<const float> initial_params, const OptimizerFactory& make_optimizer)
    : options_(options),
      ranges_(std::move(ranges)),
      size_(comm::LocalSize(ranges_)),
      chunk_elems_(comm::ChunkElems(options.chunk_bytes)),
      trace_(options.trace_capacity) {
  DS_CHECK(options.num_workers >= 1);
  DS_CHECK(!options.learning_rate.warms_up() || options.learning_rate.base > 0);
  for (const comm::Range& r : ranges_) {
    DS_CHECK(r.offset >= 0 && r.offset + r.size <= static_cast<int64_t>(initial_params.size()));
  }
  absl::MutexLock lock(&mu_);
  params_.resize(size_);
  comm::GatherLocal(ranges_, 0, initial_params, std::span<float>(params_));
  const int n_chunks = comm::NumChunks(size_, chunk_elems_);
  chunks_.resize(n_chunks);
  for (int c = 0; c < n_chunks; ++c) {
    chunks_[c].optimizer = make_optimizer(ChunkParamsLocked(c).size());
    DS_CHECK(chunks_[c].optimizer != nullptr);
  }
  clock_.assign(options.num_workers, 0);
  next_chunk_.assign(options.num_workers, 0);
  dropping_from_.assign(options.num_workers, -1);
  last_ack_.assign(options.num_workers, comm::PushAck{});
  push_update_.assign(options.num_workers, 0);
  done_.assign(options.num_workers, false);
  dropped_.assign(options.num_workers, false);
  rejoined_.assign(options.num_workers, false);
  push_begin_s_.assign(options.num_workers, -1.0);
}

std::span<float> PsShard::ChunkParamsLocked(int chunk) {
  const int64_t begin = static_cast<int64_t>(chunk) * chunk_elems_;
  const int64_t end = std::min(size_, begin + chunk_elems_);
  return std::span<float>(params_).subspan(begin, end - begin);
}

absl::Status PsShard::CheckMemberLocked(int worker) const {
  if (aborted_) {
    return absl::CancelledError(absl::StrCat("parameter server shard ", options_.shard_id,
                                             " was aborted"));
  }
  if (worker < 0 || worker >= options_.num_workers) {
    return absl::InvalidArgumentError(absl::StrCat("shard ", options_.shard_id, ": worker ",
                                                   worker, " is not in [0, ",
                                                   options_.num_workers, ")"));
  }
  return absl::OkStatus();
}

absl::Status PsShard::CheckWorkerLocked(int worker, uint64_t clock) const {
  DS_RETURN_IF_ERROR(CheckMemberLocked(worker));
  if (clock != clock_[worker]) {
    // Not the shard's own clock: a refusal tells a caller nothing it did not send.
    return absl::FailedPreconditionError(
        absl::StrCat("shard ", options_.shard_id, ": worker ", worker, "'s call at clock ", clock,
                     " does not follow its last push here"));
  }
  return absl::OkStatus();
}

std::optional<std::string> PsShard::CheckFiniteLocked(int worker, uint64_t clock, int chunk,
                                                      std::span<const float> grad) {
  const auto bad = std::find_if(grad.begin(), grad.end(), [](float g) { return !std::isfinite(g); });
  if (bad == grad.end()) return std::nullopt;
  const bool skip = options_.skip_bad_gradients;
  ++(skip ? pushes_skipped_ : pushes_refused_);
  std::string what = absl::StrCat(
      "worker ", worker, " pushed a non-finite gradient at step ", clock + 1, " (", *bad,
      " at element ", chunk * chunk_elems_ + (bad - grad.begin()), " of shard ",
      options_.shard_id, skip ? "); dropped, not applied" : "); refused, not applied");
  if (!first_bad_push_) first_bad_push_ = what;
  return what;
}

// A push is keyed by (worker, clock, chunk) within the run (the token keeps other runs out): a
// chunk of the push in progress that already arrived, or any chunk of the push just finished,
// is a replay after a retry, and is not applied again.
bool PsShard::IsReplayLocked(int worker, uint64_t clock, int chunk) const {
  if (clock == clock_[worker]) return chunk >= 0 && chunk < next_chunk_[worker];
  return FinishedLocked(worker, clock);
}

// `clock` is the push `worker` finished last. Written without clock + 1, which wraps to 0 for
// the largest clock and so took a fresh worker's push at clock 2^64 - 1 for a replay.
bool PsShard::FinishedLocked(int worker, uint64_t clock) const {
  return clock_[worker] > 0 && clock == clock_[worker] - 1;
}

int PsShard::SlowestLocked() const {
  int slowest = -1;
  for (int w = 0; w < options_.num_workers; ++w) {
    if (done_[w]) continue;
    if (slowest < 0 || clock_[w] < clock_[slowest]) slowest = w;
  }
  return slowest;
}

bool PsShard::PullReadyLocked(uint64_t clock) const {
  switch (options_.mode) {
    case PsMode::kAsync:
      return true;
    case PsMode::kSync:
      return version_ >= clock;
    case PsMode::kSsp: {
      if (clock <= options_.staleness) return true;
      const int slowest = SlowestLocked();
      return slowest < 0 || clock_[slowest] + options_.staleness >= clock;
    }
  }
  return true;
}

absl::StatusOr<comm::PullGrant> PsShard::WaitPull(int worker, uint64_t clock,
                                                  absl::Duration max_wait) {
  absl::MutexLock lock(&mu_);
  const absl::Time deadline = absl::Now() + max_wait;
  bool timed_out = false;
  double parked_at = -1;  // trace clock at the first wait
  while (true) {
    if (!aborted_ && worker >= 0 && worker < options_.num_workers &&
        (dropped_[worker] || (rejoined_[worker] && FinishedLocked(worker, clock)))) {
      // A dropped worker's identity reads the newest parameters at once, whatever its clock:
      // how the coordinator evaluates for a dead chief. So does a rejoined worker doing again
      // the step this shard finished (its push will be a replay).
      comm::PullGrant grant;
      grant.ready = true;
      grant.version = version_;
      grant.progress = progress_;
      return grant;
    }
    if (absl::Status s = CheckWorkerLocked(worker, clock); !s.ok()) return s;
    if (PullReadyLocked(clock) || timed_out) break;
    if (parked_at < 0) parked_at = trace_.Now();
    ++parked_;
    timed_out = changed_.WaitWithDeadline(&mu_, deadline);
    --parked_;
  }
  comm::PullGrant grant;
  grant.ready = PullReadyLocked(clock);
  grant.version = version_;
  grant.progress = progress_;
  if (parked_at >= 0) {
    trace_.Add({ShardSpan::kParkedPull, worker, clock + 1, parked_at, trace_.Now(), 0, version_});
  }
  if (!grant.ready) {
    grant.blocker = SlowestLocked();
    if (grant.blocker >= 0) grant.blocker_clock = clock_[grant.blocker];
  }
  return grant;
}

int PsShard::parked() const {
  absl::MutexLock lock(&mu_);
  return parked_;
}

absl::Status PsShard::ReadChunk(int chunk, std::span<float> out) {
  absl::MutexLock lock(&mu_);
  if (aborted_) {
    return absl::CancelledError(absl::StrCat("parameter server shard ", options_.shard_id,
                                             " was aborted"));
  }
  if (chunk < 0 || chunk >= static_cast<int>(chunks_.size()) ||
      out.size() != ChunkParamsLocked(chunk).size()) {
    return absl::InvalidArgumentError(absl::StrCat("shard ", options_.shard_id, ": no chunk ",
                                                   chunk, " of ", out.size(), " elements"));
  }
  std::span<float> params = ChunkParamsLocked(chunk);
  std::memcpy(out.data(), params.data(), params.size() * sizeof(float));
  return absl::OkStatus();
}

absl::Status PsShard::PushChunk(int worker, uint64_t clock, int chunk,
                                std::span<const float> grad) {
  absl::MutexLock lock(&mu_);
  DS_RETURN_IF_ERROR(CheckMemberLocked(worker));
  if (IsReplayLocked(worker, clock, chunk)) return absl::OkStatus();  // applied once already
  if (absl::Status s = CheckWorkerLocked(worker, clock); !s.ok()) return s;
  if (done_[worker]) {
    return absl::FailedPreconditionError(absl::StrCat("shard ", options_.shard_id, ": worker ",
                                                      worker, " pushed after saying it is done"));
  }
  if (chunk != next_chunk_[worker] || chunk >= static_cast<int>(chunks_.size()) ||
      grad.size() != ChunkParamsLocked(chunk).size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "shard ", options_.shard_id, ": worker ", worker, " sent chunk ", chunk, " of ",
        grad.size(), " elements; expected chunk ", next_chunk_[worker], " of ",
        chunks_.size()));
  }
  if (options_.mode == PsMode::kSync && clock != version_) {
    return absl::FailedPreconditionError(absl::StrCat(
        "shard ", options_.shard_id, ": worker ", worker, " pushed step ", clock,
        " before the update of the step before was applied (version ", version_, ")"));
  }
  std::optional<std::string> bad;
  if (dropping_from_[worker] < 0) bad = CheckFiniteLocked(worker, clock, chunk, grad);
  if (bad && !options_.skip_bad_gradients) return absl::DataLossError(*bad);
  if (chunk == 0) push_begin_s_[worker] = trace_.Now();
  ++next_chunk_[worker];
  ++progress_;  // a slow push in progress is not a stall
  if (bad || dropping_from_[worker] >= 0) {
    DropChunkLocked(worker, chunk);
    return absl::OkStatus();
  }
  Chunk& c = chunks_[chunk];
  if (options_.mode != PsMode::kSync) {
    if (chunk == 0) push_update_[worker] = pushes_begun_++;  // a new push: its update index
    options_.learning_rate.Apply(push_update_[worker], *c.optimizer);
    c.optimizer->Step(ChunkParamsLocked(chunk), grad);
    return absl::OkStatus();
  }
  if (c.parts.empty()) {
    c.parts.resize(options_.num_workers);
    c.has_part.assign(options_.num_workers, false);
  }
  c.parts[worker].assign(grad.begin(), grad.end());
  c.has_part[worker] = true;
  ++c.contributions;
  if (c.contributions + c.skipped == SyncNeededLocked()) ApplySyncChunkLocked(chunk);
  return absl::OkStatus();
}

void PsShard::AdvanceLocked() {
  ++progress_;
  changed_.SignalAll();
}

absl::StatusOr<comm::PushAck> PsShard::FinishPush(int worker, uint64_t clock,
                                                  uint64_t pulled_version) {
  absl::StatusOr<comm::PushAck> ack = FinishPushUnnotified(worker, clock, pulled_version);
  if (ack.ok()) NotifyChange();
  return ack;
}

absl::StatusOr<comm::PushAck> PsShard::FinishPushUnnotified(int worker, uint64_t clock,
                                                            uint64_t pulled_version) {
  absl::MutexLock lock(&mu_);
  DS_RETURN_IF_ERROR(CheckMemberLocked(worker));
  rejoined_[worker] = false;
  // A finish sent again after a retry: the push was applied once; answer as the first time.
  if (FinishedLocked(worker, clock)) return last_ack_[worker];
  if (absl::Status s = CheckWorkerLocked(worker, clock); !s.ok()) return s;
  if (next_chunk_[worker] != static_cast<int>(chunks_.size())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "shard ", options_.shard_id, ": worker ", worker, " finished a push after ",
        next_chunk_[worker], " of ", chunks_.size(), " chunks"));
  }
  if (pulled_version > version_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "shard ", options_.shard_id, ": worker ", worker, " claims to have read version ",
        pulled_version, " but the shard is at ", version_));
  }
  if (options_.mode == PsMode::kSync && clock != version_) {  // (empty shards get no PushChunk)
    return absl::FailedPreconditionError(absl::StrCat(
        "shard ", options_.shard_id, ": worker ", worker, " pushed step ", clock,
        " before the update of the step before was applied (version ", version_, ")"));
  }
  next_chunk_[worker] = 0;
  ++clock_[worker];
  const bool dropped_whole = std::exchange(dropping_from_[worker], -1) == 0;
  comm::PushAck ack;
  if (options_.mode == PsMode::kSync) {
    TrySyncCompleteLocked();
  } else if (!dropped_whole) {  // a push dropped whole is no update
    ack.staleness = version_ - pulled_version;
    staleness_.Add(ack.staleness);
    ++version_;
  }
  ack.version = version_;
  last_ack_[worker] = ack;
  const double now = trace_.Now();
  const double begun = std::exchange(push_begin_s_[worker], -1.0);  // none: an empty shard
  trace_.Add({ShardSpan::kApply, worker, clock + 1, begun >= 0 ? begun : now, now, ack.staleness,
              version_});
  AdvanceLocked();
  return ack;
}

absl::Status PsShard::WorkerDone(int worker) {
  absl::Status status = WorkerDoneUnnotified(worker);
  if (status.ok()) NotifyChange();
  return status;
}

absl::Status PsShard::WorkerDoneUnnotified(int worker) {
  absl::MutexLock lock(&mu_);
  DS_RETURN_IF_ERROR(CheckMemberLocked(worker));
  if (next_chunk_[worker] != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "shard ", options_.shard_id, ": worker ", worker, " said done in the middle of a push"));
  }
  if (done_[worker]) return absl::OkStatus();
  done_[worker] = true;
  if (options_.mode == PsMode::kSync) TrySyncCompleteLocked();
  AdvanceLocked();
  return absl::OkStatus();
}

absl::Status PsShard::DropWorker(int worker) {
  {
    absl::MutexLock lock(&mu_);
    DS_RETURN_IF_ERROR(CheckMemberLocked(worker));
    dropped_[worker] = true;
    if (done_[worker]) return absl::OkStatus();
    next_chunk_[worker] = 0;
    dropping_from_[worker] = -1;
    done_[worker] = true;
    if (options_.mode == PsMode::kSync) TrySyncCompleteLocked();
    AdvanceLocked();
  }
  NotifyChange();
  return absl::OkStatus();
}

void PsShard::Abort() {
  {
    absl::MutexLock lock(&mu_);
    aborted_ = true;
    changed_.SignalAll();
  }
  NotifyChange();
}

bool PsShard::SetChangeListener(std::function<void()> listener) {
  absl::MutexLock lock(&listener_mu_);
  listener_ = std::move(listener);
  return true;
}

void PsShard::NotifyChange() {
  absl::MutexLock lock(&listener_mu_);
  if (listener_) listener_();
}

uint64_t PsShard::version() const {
  absl::MutexLock lock(&mu_);
  return version_;
}

std::vector<uint64_t> PsShard::clocks() const {
  absl::MutexLock lock(&mu_);
  return clock_;
}

StalenessStats PsShard::staleness() const {
  absl::MutexLock lock(&mu_);
  return staleness_;
}

void PsShard::CopyParamsTo(std::span<float> flat) const {
  absl::MutexLock lock(&mu_);
  comm::ScatterLocal(ranges_, 0, params_, flat);
}

}  // namespace distsim::strategy
