// GradientExchange: what a distributed strategy does around a worker's forward/backward pass.
//
// A worker's step is
//     exchange.BeginStep(params)       // PS: pull the parameters (waiting as SYNC/SSP require);
//                                      // allreduce: nothing (the replica is current)
//     grads = model.TrainStep(params, batch)
//     exchange.EndStep(grads, params)  // PS: push the gradient; the server's optimizer updates;
//                                      // allreduce: average gradients over the ring, then this
//                                      // replica's optimizer updates params
// The worker loop (sim/node) owns the data, the model and the metrics; the strategy owns the
// communication and, for allreduce, the optimizer. Implementations are written against the comm
// interfaces (PeerLink, PsClient) only, never against gRPC.
//
// Thread safety: one exchange per worker, used by that worker's thread only.
#ifndef DISTSIM_SIM_STRATEGY_EXCHANGE_H_
#define DISTSIM_SIM_STRATEGY_EXCHANGE_H_

#include <cstdint>
#include <span>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "kernels/optimizer.h"

namespace distsim::strategy {

// What one step's communication cost, as measured by this worker. Times are wall seconds.
struct StepComm {
  double pull_s = 0;     // receiving parameters (PS), not counting wait_s
  double push_s = 0;     // sending gradients until the update is applied (PS)
  double wait_s = 0;     // blocked on other workers (SYNC barrier, SSP bound), while pulling
  double reduce_s = 0;   // allreduce wall time (ring)
  double update_s = 0;   // local optimizer (ring)
  uint64_t bytes_sent = 0;      // as counted by the transport, framing included
  uint64_t bytes_received = 0;
  // The part of those bytes that crossed this worker's simulated NIC (shaped networks only).
  uint64_t nic_bytes_sent = 0;
  uint64_t nic_bytes_received = 0;
  // PS: staleness of the parameters this step computed on, as the servers measure it for the
  // update this step's push produced (max over shards). 0 for SYNC and allreduce.
  uint64_t staleness = 0;
  // PS: the servers' global step (updates applied, all workers together) after this step's push,
  // as the shard that answered last reports it; 0 where the strategy has no such count.
  uint64_t global_step = 0;
};

// Adds `step`'s times and bytes to `total`; staleness keeps the maximum.
void Accumulate(const StepComm& step, StepComm* total);

class GradientExchange {
 public:
  virtual ~GradientExchange() = default;

  // Makes `params` (the whole flat buffer) the parameters step `step` (1-based) computes on.
  virtual absl::Status BeginStep(uint64_t step, std::span<float> params, StepComm* comm) = 0;

  // Hands over the gradient of step `step`; on return `params` holds what this worker should
  // compute on next if the strategy keeps a local replica (allreduce), and the update this
  // gradient carries has been applied wherever the parameters live.
  virtual absl::Status EndStep(uint64_t step, std::span<const float> grads, std::span<float> params,
                               StepComm* comm) = 0;

  // Copies the newest parameters into `params` without waiting on other workers (PS: a pull that
  // ignores the SYNC/SSP conditions; others: nothing, `params` is current). Used to evaluate.
  virtual absl::Status FetchLatest(std::span<float> params) { return absl::OkStatus(); }

  // Makes blocked and future calls return Cancelled promptly (the run is being aborted). Called
  // from another thread (the heartbeat thread); must be thread-safe.
  virtual void Abort() {}

  // Called once after the last step (e.g. to tell the servers this worker is done).
  virtual absl::Status Finish() { return absl::OkStatus(); }

  // A new process of this worker, after its predecessor died, asks where to go on (ASYNC and SSP
  // parameter servers: the shards know its clock). Returns the last step the servers applied
  // from it in full (it goes on from the next), and sets `*redone` to 1 when a push of the step
  // after was cut off part-way (that step is done again; its chunks that arrived are not applied
  // twice), else 0. Unimplemented where a worker cannot rejoin alone.
  virtual absl::StatusOr<uint64_t> Rejoin(uint64_t* redone) {
    *redone = 0;
    return absl::UnimplementedError("this strategy takes no worker back alone");
  }

  // The optimizer of a strategy whose workers update their own replica (allreduce), whose state
  // a checkpoint keeps; null where the parameters live elsewhere (the servers').
  virtual kernels::Optimizer<float>* replica_optimizer() { return nullptr; }
};

}  // namespace distsim::strategy

#endif  // DISTSIM_SIM_STRATEGY_EXCHANGE_H_
