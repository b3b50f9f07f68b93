// ShardTrace: a bounded record of when a parameter-server shard applied pushes and held pulls,
// for the run's trace.json. Two kinds of span, each tied to one worker's step:
//   apply        from the first chunk of worker w's push of step k arriving to its FinishPush
//                (ASYNC/SSP: every chunk applied; SYNC: the contribution is in, and the last
//                contributor's finish applies the average).
//   parked pull  a pull of step k that had to wait (SYNC: for the step before's update; SSP: for
//                the slowest worker), from its first wait to its release.
//
// Bounded: at most `capacity` spans are kept. Spans are sampled by step: a span is kept when its
// step is a multiple of `stride` (1 at first); when the record is full, the stride doubles and
// the spans of the steps that no longer fit are dropped. Sampling by step (not by arrival) keeps
// a step's spans on every shard and from every worker together, so that a worker's push and the
// applies it feeds can still be matched. Each record is O(1) amortised.
//
// Not thread-safe: the shard calls it under its own mutex. Times are seconds of the shard's
// Stopwatch (since construction); the server adds its offset to the run's clock.
#ifndef DISTSIM_SIM_STRATEGY_SHARD_TRACE_H_
#define DISTSIM_SIM_STRATEGY_SHARD_TRACE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "sim/base/clock.h"

namespace distsim::strategy {

struct ShardSpan {
  enum Kind { kApply, kParkedPull };
  Kind kind = kApply;
  int worker = 0;
  uint64_t step = 0;       // the worker's 1-based step (its clock + 1)
  double start_s = 0;      // seconds since the shard's trace clock started
  double end_s = 0;
  uint64_t staleness = 0;  // apply: the update's staleness (ASYNC/SSP; SYNC 0)
  uint64_t version = 0;    // the shard's version when the span ended
};

class ShardTrace {
 public:
  // capacity 0: nothing is recorded.
  explicit ShardTrace(size_t capacity) : capacity_(capacity) {}

  double Now() const { return clock_.Seconds(); }
  void Add(const ShardSpan& span);

  const std::vector<ShardSpan>& spans() const { return spans_; }
  uint64_t stride() const { return stride_; }

 private:
  size_t capacity_;
  uint64_t stride_ = 1;
  Stopwatch clock_;
  std::vector<ShardSpan> spans_;
};

}  // namespace distsim::strategy

#endif  // DISTSIM_SIM_STRATEGY_SHARD_TRACE_H_
