// How a role process takes part in its run's coordinated checkpoints (checkpoint.h): when a set
// is due, what its part holds, and how it continues from one.
//
//   server shard   SYNC: at every version that is a multiple of `every`, its parameters and
//                  optimizer state (written under the shard's lock: PsShardOptions.on_checkpoint)
//   PS worker      after computing step s, before pushing it: s and its place in the data; so a
//                  granted pull of clock s means every process's part of set s is on disk
//   ring replica   after step s's allreduce and update: its parameters and optimizer state too
// A resumed process loads its part of the set of resume_step, replays its sampler that many
// batches (the data order is a function of the seed, the rank and the step), and goes on from
// step resume_step + 1.
#ifndef DISTSIM_SIM_NODE_ROLE_CHECKPOINT_H_
#define DISTSIM_SIM_NODE_ROLE_CHECKPOINT_H_

#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "distsim/cluster.pb.h"
#include "kernels/optimizer.h"
#include "sim/node/roles.h"
#include "sim/node/run_plan.h"
#include "sim/strategy/ps_shard.h"

namespace distsim::node {

struct CheckpointPolicy {
  std::string dir;          // empty: this process writes none
  uint64_t every = 0;       // supervision.checkpoint_every_steps
  uint32_t kept = 3;        // supervision.checkpoints_kept
  uint64_t fingerprint = 0; // ConfigFingerprint of the run's config
  uint64_t resume_step = 0; // continue from this set (0: from the start)
};

CheckpointPolicy CheckpointPolicyOf(const RunPlan& plan, const RoleFlags& flags);

// Writes this process's part of set state.step(), then removes its part of the set `kept`
// checkpoints back.
absl::Status SaveCheckpoint(const CheckpointPolicy& policy, const CheckpointState& state);

// A server shard: the writer its options take, and the restore of a resumed run.
std::function<absl::Status(const strategy::ShardState&)> ShardCheckpointWriter(
    const CheckpointPolicy& policy, uint32_t rank);
absl::Status RestoreShard(const CheckpointPolicy& policy, uint32_t rank, strategy::PsShard* shard);

// A worker's part: its step and place in the data, and, for a replica (non-null `optimizer`),
// its parameters and optimizer state.
CheckpointState WorkerCheckpoint(const CheckpointPolicy& policy, uint32_t rank, uint64_t step,
                                 uint64_t examples_consumed, std::span<const float> params,
                                 kernels::Optimizer<float>* optimizer);
// Loads a replica's parameters and optimizer state from `state` (sizes checked).
absl::Status RestoreReplica(const CheckpointState& state, std::span<float> params,
                            kernels::Optimizer<float>* optimizer);

}  // namespace distsim::node

#endif  // DISTSIM_SIM_NODE_ROLE_CHECKPOINT_H_
