// The `local` strategy as a GradientExchange: nothing moves; the optimizer updates the one copy
// of the parameters. The local run and the distributed workers share one training loop this way.
// The learning rate follows `schedule` by the optimizer's update count (default: the optimizer's
// own rate, untouched).
#ifndef DISTSIM_SIM_STRATEGY_LOCAL_EXCHANGE_H_
#define DISTSIM_SIM_STRATEGY_LOCAL_EXCHANGE_H_

#include <memory>

#include "kernels/optimizer.h"
#include "sim/strategy/exchange.h"
#include "sim/strategy/lr_schedule.h"

namespace distsim::strategy {

class LocalExchange final : public GradientExchange {
 public:
  // `schedule.base` must be the optimizer's rate when `schedule` warms up (checked: > 0).
  explicit LocalExchange(std::unique_ptr<kernels::Optimizer<float>> optimizer,
                         LearningRateSchedule schedule = {});

  absl::Status BeginStep(uint64_t, std::span<float>, StepComm*) override {
    return absl::OkStatus();
  }
  absl::Status EndStep(uint64_t step, std::span<const float> grads, std::span<float> params,
                       StepComm* comm) override;

 private:
  std::unique_ptr<kernels::Optimizer<float>> optimizer_;
  LearningRateSchedule schedule_;
};

}  // namespace distsim::strategy

#endif  // DISTSIM_SIM_STRATEGY_LOCAL_EXCHANGE_H_
