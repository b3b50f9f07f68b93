// Long-poll parking for the parameter-server service: pulls that are not ready wait here, holding
// no thread, until the shard advances. One notifier thread re-checks parked pulls whenever the
// shard reports a change (PullParking::Changed) and answers each once it is ready, failed (abort)
// or at the end of its long poll ("not ready": the client re-issues it). Without change reports
// (Start(false)) parked pulls are re-checked every 5 ms. Includes no gRPC header.
//
// Exactly one party answers a parked pull: whoever takes it out (the notifier, or the caller of
// Unpark, e.g. a cancelled call). Thread-safe.
#ifndef DISTSIM_SIM_COMM_PULL_PARKING_H_
#define DISTSIM_SIM_COMM_PULL_PARKING_H_

#include <cstdint>
#include <functional>
#include <map>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sim/comm/ps_client.h"

namespace distsim::comm {

// A pull that can be parked; Answer ends its long poll with an error, "not ready", or the grant.
class ParkedPull {
 public:
  virtual void Answer(absl::StatusOr<PullGrant> grant) = 0;

 protected:
  ~ParkedPull() = default;
};

class PullParking {
 public:
  // `check(worker, clock)`: the shard's readiness for that pull now, without waiting. It is
  // called without this object's lock.
  explicit PullParking(std::function<absl::StatusOr<PullGrant>(int, uint64_t)> check);
  ~PullParking();  // Stop()
  PullParking(const PullParking&) = delete;
  PullParking& operator=(const PullParking&) = delete;

  // Starts the notifier thread; `notified`: the shard reports its changes through Changed().
  void Start(bool notified);
  // Stops and joins the notifier (idempotent). Pulls still parked are not answered: stop the
  // server first (its shutdown cancels them).
  void Stop();

  // Parks `pull` under `id` until the notifier answers it or Unpark takes it out. `deadline` is
  // the end of its long poll.
  void Park(uint64_t id, ParkedPull* pull, int worker, uint64_t clock, absl::Time deadline);
  // Takes pull `id` out; true if it was parked (the caller now answers it), false if someone
  // else took it first (or it never was parked).
  bool Unpark(uint64_t id);
  // The shard changed: re-check every parked pull. Runs on whichever thread changed the shard.
  void Changed();

  // Pulls parked right now.
  int size() const;

 private:
  struct Waiter {
    ParkedPull* pull;
    int worker;
    uint64_t clock;
    absl::Time deadline;  // end of the long poll: answered "not ready" then
  };
  void NotifierLoop();

  const std::function<absl::StatusOr<PullGrant>(int, uint64_t)> check_;
  bool notified_ = false;  // written before the notifier starts
  mutable absl::Mutex mu_;
  absl::CondVar wake_;  // a change, a new waiter, or stopping
  std::map<uint64_t, Waiter> waiters_ ABSL_GUARDED_BY(mu_);
  bool changed_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread notifier_;
};

}  // namespace distsim::comm

#endif  // DISTSIM_SIM_COMM_PULL_PARKING_H_
