#include "sim/node/heartbeater.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace distsim::node {
namespace {

constexpr absl::Duration kHeartbeatEvery = absl::Milliseconds(250);

}  // namespace

Heartbeater::Heartbeater(comm::CoordinatorClient* client, ProcessInfo::Role role, uint32_t rank,
                         absl::Duration give_up_after)
    : client_(client), give_up_after_(give_up_after) {
  data_.role = role;
  data_.rank = rank;
}

void Heartbeater::Start(std::function<void(const std::string&)> on_abort) {
  on_abort_ = std::move(on_abort);
  thread_ = std::thread([this] { Loop(); });
}

void Heartbeater::Add(const StepRecord& r) {
  absl::MutexLock lock(&mu_);
  data_.steps.push_back(r);
  data_.step = r.step();
}

void Heartbeater::Add(const EvalRecord& e) {
  absl::MutexLock lock(&mu_);
  data_.evals.push_back(e);
}

void Heartbeater::SetRejoined(uint64_t from, uint64_t redone) {
  absl::MutexLock lock(&mu_);
  data_.rejoined = true;
  data_.resumed_from_step = from;
  data_.steps_redone = redone;
  data_.step = std::max(data_.step, from);
}

std::string Heartbeater::abort_reason() const {
  absl::MutexLock lock(&mu_);
  return abort_reason_;
}

void Heartbeater::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

void Heartbeater::Beat() {
  comm::HeartbeatData batch;
  {
    absl::MutexLock lock(&mu_);
    batch = data_;
    data_.steps.clear();
    data_.evals.clear();
  }
  absl::StatusOr<comm::HeartbeatAnswer> answer = client_->Heartbeat(batch);
  if (!answer.ok()) {
    {
      absl::MutexLock lock(&mu_);  // keep the records for the next try
      data_.steps.insert(data_.steps.begin(), batch.steps.begin(), batch.steps.end());
      data_.evals.insert(data_.evals.begin(), batch.evals.begin(), batch.evals.end());
    }
    if (absl::Now() - last_ok_ > give_up_after_) {
      Abort(absl::StrCat("lost the coordinator: ", answer.status().message()));
    }
    return;
  }
  last_ok_ = absl::Now();
  for (uint32_t w : answer->lost_workers) {
    if (lost_seen_.insert(w).second && on_lost_) on_lost_(w);
  }
  if (answer->command == comm::Command::kAbort) Abort(answer->reason);
  if (answer->command == comm::Command::kShutdown && !shutdown_.HasBeenNotified()) {
    shutdown_.Notify();
  }
}

void Heartbeater::Abort(const std::string& reason) {
  {
    absl::MutexLock lock(&mu_);
    if (!abort_reason_.empty()) return;
    abort_reason_ = reason.empty() ? "aborted by the coordinator" : reason;
  }
  if (on_abort_) on_abort_(reason);
  if (!shutdown_.HasBeenNotified()) shutdown_.Notify();
}

void Heartbeater::Loop() {
  while (!stop_.load()) {
    Beat();
    absl::SleepFor(kHeartbeatEvery);
  }
}

absl::Status AbortedBy(const Heartbeater& heartbeater, const absl::Status& fallback) {
  std::string reason = heartbeater.abort_reason();
  if (reason.empty()) return fallback;
  return absl::AbortedError(absl::StrCat("run aborted: ", reason));
}

}  // namespace distsim::node
