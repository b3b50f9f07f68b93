// A role process's line to the coordinator: heartbeats from their own thread, carrying the step
// and evaluation records gathered since the last one, and the coordinator's answers (abort,
// shutdown, workers lost) turned into callbacks and a shutdown notification.
//
// Thread safety: Add, Flush, abort_reason and the shutdown calls may be called from any thread;
// Start, Stop and OnLost from the owning thread.
#ifndef DISTSIM_SIM_NODE_HEARTBEATER_H_
#define DISTSIM_SIM_NODE_HEARTBEATER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "distsim/cluster.pb.h"
#include "sim/comm/coordinator_rpc.h"
#include "sim/node/train_loop.h"

namespace distsim::node {

class Heartbeater {
 public:
  // Gives up on the coordinator (and aborts) after `give_up_after` without an answer.
  Heartbeater(comm::CoordinatorClient* client, ProcessInfo::Role role, uint32_t rank,
              absl::Duration give_up_after);
  ~Heartbeater() { Stop(); }

  // `on_abort` runs once, on the heartbeat thread, when the run must stop (coordinator said so,
  // or it has been unreachable for give_up_after).
  void Start(std::function<void(const std::string&)> on_abort);

  void Add(const StepRecord& r);
  void Add(const EvalRecord& e);
  // This worker process rejoined the run alone (ASYNC, SSP) and goes on from step `from` + 1,
  // doing `redone` steps again: said with every heartbeat from now on.
  void SetRejoined(uint64_t from, uint64_t redone);

  // `on_lost` runs on the heartbeat thread once for each worker the coordinator reports lost
  // (on_worker_failure CONTINUE). Set before Start.
  void OnLost(std::function<void(uint32_t)> on_lost) { on_lost_ = std::move(on_lost); }

  bool shutdown_requested() const { return shutdown_.HasBeenNotified(); }
  bool WaitForShutdown(absl::Duration timeout) {
    return shutdown_.WaitForNotificationWithTimeout(timeout);
  }
  std::string abort_reason() const;

  // Sends what is pending, once, from the calling thread.
  void Flush() { Beat(); }

  void Stop();

 private:
  void Beat();
  void Abort(const std::string& reason);
  void Loop();

  comm::CoordinatorClient* client_;
  const absl::Duration give_up_after_;
  std::function<void(const std::string&)> on_abort_;
  std::function<void(uint32_t)> on_lost_;
  std::set<uint32_t> lost_seen_;  // heartbeat thread only
  mutable absl::Mutex mu_;
  comm::HeartbeatData data_ ABSL_GUARDED_BY(mu_);
  std::string abort_reason_ ABSL_GUARDED_BY(mu_);
  absl::Time last_ok_ = absl::Now();
  absl::Notification shutdown_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Hands the training loop's records to a heartbeater.
class HeartbeatObserver final : public LoopObserver {
 public:
  explicit HeartbeatObserver(Heartbeater* heartbeater) : heartbeater_(heartbeater) {}
  void OnStep(const StepRecord& r) override { heartbeater_->Add(r); }
  void OnEval(const EvalRecord& e) override { heartbeater_->Add(e); }

 private:
  Heartbeater* heartbeater_;
};

// The Status a role returns when the coordinator aborted the run ("run aborted: <reason>"), else
// `fallback`.
absl::Status AbortedBy(const Heartbeater& heartbeater, const absl::Status& fallback);

}  // namespace distsim::node

#endif  // DISTSIM_SIM_NODE_HEARTBEATER_H_
