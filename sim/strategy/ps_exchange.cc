#include "sim/strategy/ps_exchange.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "sim/base/clock.h"

namespace distsim::strategy {

PsExchange::PsExchange(std::unique_ptr<comm::PsClient> client) : client_(std::move(client)) {}

absl::Status PsExchange::BeginStep(uint64_t step, std::span<float> params, StepComm* comm) {
  const uint64_t sent = client_->bytes_sent(), received = client_->bytes_received();
  const uint64_t nic_sent = client_->nic_bytes_sent();
  const uint64_t nic_received = client_->nic_bytes_received();
  Stopwatch watch;
  absl::Status status = client_->Pull(step - 1, params, &pulled_);
  const double wall = watch.Seconds();
  pulled_valid_ = status.ok();
  comm->wait_s += pulled_.wait_s;
  comm->pull_s += wall > pulled_.wait_s ? wall - pulled_.wait_s : 0.0;
  comm->bytes_sent += client_->bytes_sent() - sent;
  comm->bytes_received += client_->bytes_received() - received;
  comm->nic_bytes_sent += client_->nic_bytes_sent() - nic_sent;
  comm->nic_bytes_received += client_->nic_bytes_received() - nic_received;
  return status;
}

absl::Status PsExchange::EndStep(uint64_t step, std::span<const float> grads,
                                 std::span<float> params, StepComm* comm) {
  if (!pulled_valid_) {
    return absl::FailedPreconditionError(
        absl::StrCat("parameter server: step ", step, " pushed without a successful pull"));
  }
  pulled_valid_ = false;
  const uint64_t sent = client_->bytes_sent(), received = client_->bytes_received();
  const uint64_t nic_sent = client_->nic_bytes_sent();
  const uint64_t nic_received = client_->nic_bytes_received();
  Stopwatch watch;
  comm::PushResult pushed;
  absl::Status status = client_->Push(step - 1, grads, pulled_.versions, &pushed);
  comm->push_s += watch.Seconds();
  comm->staleness = std::max(comm->staleness, pushed.staleness);
  comm->global_step = pushed.version;
  if (status.ok()) completed_ = step;
  comm->bytes_sent += client_->bytes_sent() - sent;
  comm->bytes_received += client_->bytes_received() - received;
  comm->nic_bytes_sent += client_->nic_bytes_sent() - nic_sent;
  comm->nic_bytes_received += client_->nic_bytes_received() - nic_received;
  return status;
}

absl::Status PsExchange::FetchLatest(std::span<float> params) {
  // A pull at this worker's clock: ASYNC answers at once; SYNC and SSP wait as the next step's
  // pull would (so the chief evaluates what its next step would compute on).
  comm::PullResult latest;
  return client_->Pull(completed_, params, &latest);
}

void PsExchange::Abort() { client_->Abort(); }

absl::Status PsExchange::Finish() { return client_->Done(); }

absl::StatusOr<uint64_t> PsExchange::Rejoin(uint64_t* redone) {
  absl::StatusOr<std::vector<comm::RejoinPoint>> points = client_->Rejoin();
  if (!points.ok()) return points.status();
  uint64_t clock = UINT64_MAX;
  for (const comm::RejoinPoint& p : *points) clock = std::min(clock, p.clock);
  if (points->empty()) clock = 0;
  *redone = 0;
  for (const comm::RejoinPoint& p : *points) {
    if (p.cut || p.clock > clock) *redone = 1;  // the step after `clock` reached some shard
  }
  completed_ = clock;
  return clock;
}

}  // namespace distsim::strategy
