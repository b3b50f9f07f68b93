// PsShard's state as a whole, for coordinated checkpoints: taken at a version, and restored
// before a resumed run's workers call; and one worker's place, for a new process of it.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "sim/base/status.h"
#include "sim/strategy/ps_shard.h"

namespace distsim::strategy {

ShardState PsShard::StateLocked() const {
  ShardState state;
  state.version = version_;
  state.params = params_;
  for (const Chunk& c : chunks_) {
    kernels::AppendState(*c.optimizer, &state.optimizer_state);
    state.optimizer_steps.push_back(c.optimizer->steps());
  }
  return state;
}

ShardState PsShard::State() const {
  absl::MutexLock lock(&mu_);
  return StateLocked();
}

void PsShard::CheckpointLocked() {
  const uint64_t every = options_.checkpoint_every;
  if (every == 0 || !options_.on_checkpoint || version_ % every != 0) return;
  if (!checkpoint_error_.ok()) return;
  checkpoint_error_ = options_.on_checkpoint(StateLocked());
}

absl::Status PsShard::Restore(const ShardState& state) {
  absl::MutexLock lock(&mu_);
  size_t state_floats = 0;
  for (const Chunk& c : chunks_) state_floats += kernels::StateSize(*c.optimizer);
  if (state.params.size() != params_.size() || state.optimizer_steps.size() != chunks_.size() ||
      state.optimizer_state.size() != state_floats) {
    return absl::InvalidArgumentError(absl::StrCat(
        "shard ", options_.shard_id, ": the checkpoint holds ", state.params.size(),
        " parameters, ", state.optimizer_steps.size(), " optimizers and ",
        state.optimizer_state.size(), " optimizer values; this shard has ", params_.size(), ", ",
        chunks_.size(), " and ", state_floats));
  }
  params_ = state.params;
  std::span<const float> flat(state.optimizer_state);
  for (size_t c = 0; c < chunks_.size(); ++c) {
    const size_t n = kernels::StateSize(*chunks_[c].optimizer);
    kernels::LoadState(*chunks_[c].optimizer, flat.first(n));
    flat = flat.subspan(n);
    chunks_[c].optimizer->set_steps(state.optimizer_steps[c]);
  }
  version_ = state.version;
  std::fill(clock_.begin(), clock_.end(), state.version);
  return absl::OkStatus();
}

absl::StatusOr<comm::RejoinPoint> PsShard::Rejoin(int worker) {
  absl::MutexLock lock(&mu_);
  DS_RETURN_IF_ERROR(CheckMemberLocked(worker));
  if (options_.mode == PsMode::kSync) {
    return absl::UnimplementedError(absl::StrCat(
        "shard ", options_.shard_id, ": a SYNC shard takes no worker back without a checkpoint"));
  }
  rejoined_[worker] = true;
  return comm::RejoinPoint{.clock = clock_[worker], .cut = next_chunk_[worker] > 0};
}

}  // namespace distsim::strategy
