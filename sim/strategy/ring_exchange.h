// RingExchange: the `allreduce { algorithm: RING }` strategy's GradientExchange. Every worker holds
// a full replica of the parameters and its own optimizer; a step's gradient is averaged over all
// workers with RingAllreduce and each replica applies the same averaged gradient, so replicas that
// start equal stay bit-identical.
//
// Ownership: borrows the link (must outlive the exchange), owns the optimizer.
// Thread safety: one worker thread, as GradientExchange.
#ifndef DISTSIM_SIM_STRATEGY_RING_EXCHANGE_H_
#define DISTSIM_SIM_STRATEGY_RING_EXCHANGE_H_

#include <memory>
#include <vector>

#include "kernels/optimizer.h"
#include "sim/comm/peer_link.h"
#include "sim/strategy/exchange.h"
#include "sim/strategy/lr_schedule.h"
#include "sim/strategy/ring_allreduce.h"

namespace distsim::strategy {

class RingExchange final : public GradientExchange {
 public:
  // `options.step` is ignored (each EndStep tags its frames with its step); `options.average`
  // is forced on. The optimizer must have been made for the parameter buffer's size. The learning
  // rate follows `schedule` by this replica's update count (default: the optimizer's own rate,
  // untouched); `schedule.base` must be the optimizer's rate when it warms up (checked: > 0).
  // Every replica gets the same schedule, so replicas stay bit-identical.
  RingExchange(comm::PeerLink* link, std::unique_ptr<kernels::Optimizer<float>> optimizer,
               RingAllreduceOptions options, LearningRateSchedule schedule = {});

  // Nothing to do: the local replica is current.
  absl::Status BeginStep(uint64_t step, std::span<float> params, StepComm* comm) override;

  // Averages `grads` over the ring (into a buffer of its own), then steps the optimizer on
  // `params`. Fills comm->reduce_s, update_s and the link's byte counter deltas (added to *comm).
  absl::Status EndStep(uint64_t step, std::span<const float> grads, std::span<float> params,
                       StepComm* comm) override;

  kernels::Optimizer<float>* replica_optimizer() override { return optimizer_.get(); }

 private:
  comm::PeerLink* link_;
  std::unique_ptr<kernels::Optimizer<float>> optimizer_;
  RingAllreduceOptions options_;
  LearningRateSchedule schedule_;
  std::vector<float> averaged_;  // the step's gradient, averaged in place
};

}  // namespace distsim::strategy

#endif  // DISTSIM_SIM_STRATEGY_RING_EXCHANGE_H_
