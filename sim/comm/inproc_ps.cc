#include "sim/comm/inproc_ps.h"

#include <algorithm>
#include <atomic>
#include <utility>

#include "absl/strings/str_cat.h"
#include "sim/base/check.h"
#include "sim/base/status.h"

namespace distsim::comm {
namespace {

absl::Status AbortedError(int worker) {
  return absl::CancelledError(absl::StrCat("worker ", worker, ": parameter-server client aborted"));
}

class InProcessPsClient final : public PsClient {
 public:
  InProcessPsClient(const PsClientOptions& options, std::vector<PsShardHandler*> shards)
      : options_(options), shards_(std::move(shards)) {
    DS_CHECK(shards_.size() == options_.shards.size());
    for (size_t s = 0; s < shards_.size(); ++s) {
      DS_CHECK(shards_[s]->size() == LocalSize(options_.shards[s]));
      DS_CHECK(shards_[s]->chunk_elems() == ChunkElems(options_.chunk_bytes));
    }
  }

  absl::Status Pull(uint64_t clock, std::span<float> params, PullResult* result) override {
    DS_CHECK(static_cast<int64_t>(params.size()) == options_.total_elems);
    result->versions.assign(shards_.size(), 0);
    result->wait_s = 0;
    const absl::Duration slice = std::min(options_.poll, absl::Milliseconds(50));
    for (size_t s = 0; s < shards_.size(); ++s) {
      PsShardHandler* shard = shards_[s];
      StallTracker stall(options_.stall_timeout);
      const absl::Time start = absl::Now();
      PullGrant grant;
      while (true) {
        if (aborted_.load()) return AbortedError(options_.worker);
        DS_ASSIGN_OR_RETURN(grant, shard->WaitPull(options_.worker, clock, slice));
        if (grant.ready) break;
        DS_RETURN_IF_ERROR(stall.Observe(grant, options_.worker, static_cast<int>(s)));
      }
      result->wait_s = std::max(result->wait_s, absl::ToDoubleSeconds(absl::Now() - start));
      result->versions[s] = grant.version;
      const ShardRanges& ranges = options_.shards[s];
      const int64_t size = shard->size(), chunk_elems = shard->chunk_elems();
      for (int c = 0; c < shard->num_chunks(); ++c) {
        const int64_t begin = c * chunk_elems, n = std::min(chunk_elems, size - begin);
        if (ranges.size() == 1) {
          DS_RETURN_IF_ERROR(shard->ReadChunk(c, params.subspan(ranges[0].offset + begin, n)));
        } else {
          scratch_.resize(n);
          DS_RETURN_IF_ERROR(shard->ReadChunk(c, scratch_));
          ScatterLocal(ranges, begin, scratch_, params);
        }
      }
      bytes_received_ += size * sizeof(float);
    }
    return absl::OkStatus();
  }

  absl::Status Push(uint64_t clock, std::span<const float> grads,
                    std::span<const uint64_t> versions, PushResult* result) override {
    DS_CHECK(static_cast<int64_t>(grads.size()) == options_.total_elems);
    DS_CHECK(versions.size() == shards_.size());
    result->staleness = 0;
    result->version = 0;
    for (size_t s = 0; s < shards_.size(); ++s) {
      if (aborted_.load()) return AbortedError(options_.worker);
      PsShardHandler* shard = shards_[s];
      const ShardRanges& ranges = options_.shards[s];
      const int64_t size = shard->size(), chunk_elems = shard->chunk_elems();
      for (int c = 0; c < shard->num_chunks(); ++c) {
        const int64_t begin = c * chunk_elems, n = std::min(chunk_elems, size - begin);
        if (ranges.size() == 1) {
          DS_RETURN_IF_ERROR(shard->PushChunk(options_.worker, clock, c,
                                              grads.subspan(ranges[0].offset + begin, n)));
        } else {
          scratch_.resize(n);
          GatherLocal(ranges, begin, grads, scratch_);
          DS_RETURN_IF_ERROR(shard->PushChunk(options_.worker, clock, c, scratch_));
        }
      }
      DS_ASSIGN_OR_RETURN(PushAck ack, shard->FinishPush(options_.worker, clock, versions[s]));
      result->staleness = std::max(result->staleness, ack.staleness);
      result->version = std::max(result->version, ack.version);
      bytes_sent_ += size * sizeof(float);
    }
    return absl::OkStatus();
  }

  absl::Status Done() override {
    for (PsShardHandler* shard : shards_) {
      if (aborted_.load()) return AbortedError(options_.worker);
      DS_RETURN_IF_ERROR(shard->WorkerDone(options_.worker));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<RejoinPoint>> Rejoin() override {
    std::vector<RejoinPoint> points;
    for (PsShardHandler* shard : shards_) {
      if (aborted_.load()) return AbortedError(options_.worker);
      DS_ASSIGN_OR_RETURN(RejoinPoint point, shard->Rejoin(options_.worker));
      points.push_back(point);
    }
    return points;
  }

  void Abort() override { aborted_.store(true); }
  uint64_t bytes_sent() const override { return bytes_sent_.load(); }
  uint64_t bytes_received() const override { return bytes_received_.load(); }
  int num_shards() const override { return static_cast<int>(shards_.size()); }

 private:
  const PsClientOptions options_;
  const std::vector<PsShardHandler*> shards_;
  std::vector<float> scratch_;  // one chunk, for shards owning several ranges
  std::atomic<bool> aborted_{false};
  std::atomic<uint64_t> bytes_sent_{0}, bytes_received_{0};
};

}  // namespace

std::unique_ptr<PsClient> MakeInProcessPsClient(const PsClientOptions& options,
                                                std::vector<PsShardHandler*> shards) {
  return std::make_unique<InProcessPsClient>(options, std::move(shards));
}

}  // namespace distsim::comm
