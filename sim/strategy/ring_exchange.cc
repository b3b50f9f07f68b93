#include "sim/strategy/ring_exchange.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "sim/base/check.h"
#include "sim/base/clock.h"

namespace distsim::strategy {

RingExchange::RingExchange(comm::PeerLink* link,
                           std::unique_ptr<kernels::Optimizer<float>> optimizer,
                           RingAllreduceOptions options, LearningRateSchedule schedule)
    : link_(link), optimizer_(std::move(optimizer)), options_(options), schedule_(schedule) {
  DS_CHECK(optimizer_ != nullptr);
  DS_CHECK(!schedule_.warms_up() || schedule_.base > 0);
  options_.average = true;
}

absl::Status RingExchange::BeginStep(uint64_t step, std::span<float> params, StepComm* comm) {
  return absl::OkStatus();
}

absl::Status RingExchange::EndStep(uint64_t step, std::span<const float> grads,
                                   std::span<float> params, StepComm* comm) {
  if (grads.size() != params.size()) {
    return absl::InvalidArgumentError(absl::StrCat("ring exchange: ", grads.size(),
                                                   " gradients for ", params.size(),
                                                   " parameters"));
  }
  const uint64_t sent_before = link_->bytes_sent();
  const uint64_t received_before = link_->bytes_received();
  const uint64_t nic_sent_before = link_->nic_bytes_sent();
  const uint64_t nic_received_before = link_->nic_bytes_received();
  averaged_.assign(grads.begin(), grads.end());
  Stopwatch reduce_clock;
  RingAllreduceOptions options = options_;
  options.step = step;
  absl::Status status = RingAllreduce(*link_, averaged_, options);
  const double reduce_s = reduce_clock.Seconds();
  if (!status.ok()) return status;
  Stopwatch update_clock;
  schedule_.Apply(optimizer_->steps(), *optimizer_);
  optimizer_->Step(params, averaged_);
  comm->reduce_s += reduce_s;
  comm->update_s += update_clock.Seconds();
  comm->bytes_sent += link_->bytes_sent() - sent_before;
  comm->bytes_received += link_->bytes_received() - received_before;
  comm->nic_bytes_sent += link_->nic_bytes_sent() - nic_sent_before;
  comm->nic_bytes_received += link_->nic_bytes_received() - nic_received_before;
  return absl::OkStatus();
}

}  // namespace distsim::strategy
