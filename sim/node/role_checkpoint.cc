#include "sim/node/role_checkpoint.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "sim/base/status.h"
#include "sim/node/checkpoint.h"

namespace distsim::node {
CheckpointPolicy CheckpointPolicyOf(const RunPlan& plan, const RoleFlags& flags) {
  CheckpointPolicy policy;
  policy.dir = flags.checkpoint_dir;
  policy.every = plan.config.supervision().checkpoint_every_steps();
  policy.kept = std::max<uint32_t>(1, plan.config.supervision().checkpoints_kept());
  policy.fingerprint = ConfigFingerprint(plan.config);
  policy.resume_step = flags.resume_step;
  return policy;
}

absl::Status SaveCheckpoint(const CheckpointPolicy& policy, const CheckpointState& state) {
  DS_RETURN_IF_ERROR(WriteCheckpoint(policy.dir, state));
  const uint64_t back = policy.every * policy.kept;
  if (state.step() > back) RemoveCheckpoint(policy.dir, state.step() - back, state.role(), state.rank());
  return absl::OkStatus();
}

std::function<absl::Status(const strategy::ShardState&)> ShardCheckpointWriter(
    const CheckpointPolicy& policy, uint32_t rank) {
  return [policy, rank](const strategy::ShardState& shard) {
    CheckpointState state;
    state.set_role(ProcessInfo::SERVER);
    state.set_rank(rank);
    state.set_step(shard.version);
    state.set_fingerprint(policy.fingerprint);
    state.mutable_params()->Add(shard.params.begin(), shard.params.end());
    state.mutable_optimizer_state()->Add(shard.optimizer_state.begin(), shard.optimizer_state.end());
    state.mutable_optimizer_steps()->Add(shard.optimizer_steps.begin(), shard.optimizer_steps.end());
    return SaveCheckpoint(policy, state);
  };
}

absl::Status RestoreShard(const CheckpointPolicy& policy, uint32_t rank, strategy::PsShard* shard) {
  if (policy.resume_step == 0) return absl::OkStatus();
  DS_ASSIGN_OR_RETURN(CheckpointState state,
                      ReadCheckpoint(policy.dir, policy.resume_step, ProcessInfo::SERVER, rank,
                                     policy.fingerprint));
  strategy::ShardState restored;
  restored.version = state.step();
  restored.params.assign(state.params().begin(), state.params().end());
  restored.optimizer_state.assign(state.optimizer_state().begin(), state.optimizer_state().end());
  restored.optimizer_steps.assign(state.optimizer_steps().begin(), state.optimizer_steps().end());
  return shard->Restore(restored);
}

CheckpointState WorkerCheckpoint(const CheckpointPolicy& policy, uint32_t rank, uint64_t step,
                                 uint64_t examples_consumed, std::span<const float> params,
                                 kernels::Optimizer<float>* optimizer) {
  CheckpointState state;
  state.set_role(ProcessInfo::WORKER);
  state.set_rank(rank);
  state.set_step(step);
  state.set_fingerprint(policy.fingerprint);
  state.set_examples_consumed(examples_consumed);
  if (optimizer != nullptr) {
    state.mutable_params()->Add(params.begin(), params.end());
    std::vector<float> flat;
    kernels::AppendState(*optimizer, &flat);
    state.mutable_optimizer_state()->Add(flat.begin(), flat.end());
    state.add_optimizer_steps(optimizer->steps());
  }
  return state;
}

absl::Status RestoreReplica(const CheckpointState& state, std::span<float> params,
                            kernels::Optimizer<float>* optimizer) {
  const size_t state_floats = kernels::StateSize(*optimizer);
  if (static_cast<size_t>(state.params_size()) != params.size() ||
      static_cast<size_t>(state.optimizer_state_size()) != state_floats ||
      state.optimizer_steps_size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "worker ", state.rank(), "'s checkpoint of step ", state.step(), " holds ",
        state.params_size(), " parameters and ", state.optimizer_state_size(),
        " optimizer values; the model has ", params.size(), " and ", state_floats));
  }
  std::copy(state.params().begin(), state.params().end(), params.begin());
  kernels::LoadState(*optimizer, std::span<const float>(state.optimizer_state().data(),
                                                        state.optimizer_state().size()));
  optimizer->set_steps(state.optimizer_steps(0));
  return absl::OkStatus();
}

}  // namespace distsim::node
