#include "sim/comm/fan_out.h"

namespace distsim::comm {

FanOut::FanOut(int n) : n_(n), statuses_(n > 0 ? n : 0) {
  for (int i = 1; i < n; ++i) threads_.emplace_back([this, i] { Serve(i); });
}

FanOut::~FanOut() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& t : threads_) t.join();
}

void FanOut::Serve(int i) {
  uint64_t seen = 0;
  while (true) {
    const std::function<absl::Status(int)>* job;
    {
      absl::MutexLock lock(&mu_);
      auto woken = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || generation_ != seen;
      };
      mu_.Await(absl::Condition(&woken));
      if (stopping_) return;
      seen = generation_;
      job = job_;
    }
    statuses_[i] = (*job)(i);
    absl::MutexLock lock(&mu_);
    --pending_;
  }
}

absl::Status FanOut::Run(const std::function<absl::Status(int)>& fn) {
  if (n_ <= 0) return absl::OkStatus();
  absl::MutexLock run_lock(&run_mu_);
  {
    absl::MutexLock lock(&mu_);
    job_ = &fn;
    pending_ = n_ - 1;
    ++generation_;
  }
  statuses_[0] = fn(0);
  {
    absl::MutexLock lock(&mu_);
    auto all_back = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return pending_ == 0; };
    mu_.Await(absl::Condition(&all_back));
    job_ = nullptr;
  }
  absl::Status first;
  for (const absl::Status& status : statuses_) {
    if (status.ok()) continue;
    if (first.ok() || (absl::IsCancelled(first) && !absl::IsCancelled(status))) first = status;
  }
  return first;
}

}  // namespace distsim::comm
