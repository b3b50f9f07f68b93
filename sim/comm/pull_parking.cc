#include "sim/comm/pull_parking.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace distsim::comm {
namespace {

// Without change notifications from the shard, parked pulls are re-checked this often.
constexpr absl::Duration kFallbackRecheck = absl::Milliseconds(5);

}  // namespace

PullParking::PullParking(std::function<absl::StatusOr<PullGrant>(int, uint64_t)> check)
    : check_(std::move(check)) {}

PullParking::~PullParking() { Stop(); }

void PullParking::Start(bool notified) {
  notified_ = notified;
  notifier_ = std::thread([this] { NotifierLoop(); });
}

void PullParking::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    wake_.Signal();
  }
  if (notifier_.joinable()) notifier_.join();
}

void PullParking::Park(uint64_t id, ParkedPull* pull, int worker, uint64_t clock,
                       absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  waiters_.emplace(id, Waiter{pull, worker, clock, deadline});
  wake_.Signal();  // its deadline may be the earliest
}

bool PullParking::Unpark(uint64_t id) {
  absl::MutexLock lock(&mu_);
  return waiters_.erase(id) > 0;
}

void PullParking::Changed() {
  absl::MutexLock lock(&mu_);
  if (waiters_.empty()) return;  // a pull parking later re-checks by itself
  changed_ = true;
  wake_.Signal();
}

int PullParking::size() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(waiters_.size());
}

void PullParking::NotifierLoop() {
  struct Candidate {
    uint64_t id;
    int worker;
    uint64_t clock;
    bool expired;
  };
  std::vector<Candidate> candidates;
  std::vector<std::pair<uint64_t, absl::StatusOr<PullGrant>>> resolved;
  std::vector<std::pair<ParkedPull*, absl::StatusOr<PullGrant>>> answers;
  absl::Time last_check = absl::InfinitePast();
  mu_.Lock();
  while (!stopping_) {
    absl::Time wake = absl::InfiniteFuture();
    for (const auto& [id, waiter] : waiters_) wake = std::min(wake, waiter.deadline);
    if (!notified_ && !waiters_.empty()) wake = std::min(wake, last_check + kFallbackRecheck);
    if (!changed_ && absl::Now() < wake) {
      wake_.WaitWithDeadline(&mu_, wake);
      continue;  // woken by a change, a new waiter, stopping, the deadline, or spuriously
    }
    // Re-check every parked pull after a change, else only those whose poll has ended.
    const bool all = changed_ || !notified_;
    changed_ = false;
    const absl::Time now = absl::Now();
    last_check = now;
    candidates.clear();
    for (const auto& [id, waiter] : waiters_) {
      const bool expired = waiter.deadline <= now;
      if (all || expired) candidates.push_back({id, waiter.worker, waiter.clock, expired});
    }
    mu_.Unlock();
    // The shard is consulted, and pulls answered, without mu_ (Unpark takes it).
    resolved.clear();
    for (const Candidate& c : candidates) {
      absl::StatusOr<PullGrant> grant = check_(c.worker, c.clock);
      if (!grant.ok() || grant->ready || c.expired) resolved.emplace_back(c.id, std::move(grant));
    }
    answers.clear();
    if (!resolved.empty()) {
      absl::MutexLock lock(&mu_);
      for (auto& [id, grant] : resolved) {
        auto it = waiters_.find(id);
        if (it == waiters_.end()) continue;  // cancelled meanwhile: its canceller answered it
        answers.emplace_back(it->second.pull, std::move(grant));
        waiters_.erase(it);
      }
    }
    for (auto& [pull, grant] : answers) pull->Answer(std::move(grant));
    mu_.Lock();
  }
  mu_.Unlock();
}

}  // namespace distsim::comm
