// PsShard's synchronous arithmetic (mode SYNC), and what on_bad_gradient SKIP does to a step:
// each worker's part of a chunk is kept until every part the step needs is in, then the parts are
// summed in worker order (the same bits whatever order the pushes arrived in), averaged, and
// applied once.
#include "sim/strategy/ps_shard.h"

#include <algorithm>

namespace distsim::strategy {

void PsShard::DropChunkLocked(int worker, int chunk) {
  if (dropping_from_[worker] < 0) dropping_from_[worker] = chunk;
  Chunk& c = chunks_[chunk];
  if (options_.mode != PsMode::kSync) return;
  ++c.skipped;  // the step's average is over the parts that were used
  if (c.contributions + c.skipped == SyncNeededLocked()) ApplySyncChunkLocked(chunk);
}

int PsShard::SyncNeededLocked() const {
  int needed = 0;
  for (int w = 0; w < options_.num_workers; ++w) {
    if (!done_[w] || clock_[w] > version_) ++needed;
  }
  return needed;
}

void PsShard::ApplySyncChunkLocked(int chunk) {
  Chunk& c = chunks_[chunk];
  c.applied = true;
  if (c.contributions == 0) return;  // every part was dropped: nothing to average
  bool first = true;
  for (size_t w = 0; w < c.parts.size(); ++w) {
    if (!c.has_part[w]) continue;
    const std::vector<float>& part = c.parts[w];
    if (first) {
      c.sum.assign(part.begin(), part.end());
      first = false;
    } else {
      for (size_t i = 0; i < part.size(); ++i) c.sum[i] += part[i];
    }
  }
  const float inv = 1.0f / static_cast<float>(c.contributions);
  if (c.contributions > 1) {
    for (float& g : c.sum) g *= inv;
  }
  options_.learning_rate.Apply(static_cast<int64_t>(version_), *c.optimizer);  // step's update
  c.optimizer->Step(ChunkParamsLocked(chunk), c.sum);
}

void PsShard::TrySyncCompleteLocked() {
  const int needed = SyncNeededLocked();
  if (needed == 0) return;
  bool all_applied = true;
  for (size_t c = 0; c < chunks_.size(); ++c) {
    Chunk& chunk = chunks_[c];
    const int received = chunk.contributions + chunk.skipped;
    if (!chunk.applied && received > 0 && received == needed) {
      ApplySyncChunkLocked(static_cast<int>(c));
    }
    all_applied = all_applied && chunk.applied;
  }
  int finished = 0;
  for (int w = 0; w < options_.num_workers; ++w) finished += clock_[w] > version_ ? 1 : 0;
  if (!all_applied || finished != needed) return;
  for (Chunk& chunk : chunks_) {
    chunk.applied = false;
    chunk.contributions = 0;
    chunk.skipped = 0;
    std::fill(chunk.has_part.begin(), chunk.has_part.end(), false);
  }
  staleness_.Add(0);
  ++version_;
  CheckpointLocked();
}

}  // namespace distsim::strategy
