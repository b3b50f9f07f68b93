#include "sim/strategy/local_exchange.h"

#include <utility>

#include "sim/base/check.h"
#include "sim/base/clock.h"

namespace distsim::strategy {

LocalExchange::LocalExchange(std::unique_ptr<kernels::Optimizer<float>> optimizer,
                             LearningRateSchedule schedule)
    : optimizer_(std::move(optimizer)), schedule_(schedule) {
  DS_CHECK(optimizer_ != nullptr);
  DS_CHECK(!schedule_.warms_up() || schedule_.base > 0);
}

absl::Status LocalExchange::EndStep(uint64_t, std::span<const float> grads,
                                    std::span<float> params, StepComm* comm) {
  Stopwatch clock;
  schedule_.Apply(optimizer_->steps(), *optimizer_);
  optimizer_->Step(params, grads);
  comm->update_s += clock.Seconds();
  return absl::OkStatus();
}

}  // namespace distsim::strategy
