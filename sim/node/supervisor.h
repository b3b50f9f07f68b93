// The launcher's watch over the processes of one run.
//
// The supervisor polls every 50 ms, and each round walks the same states. While RUNNING it reaps
// the children that exited: a clean exit is nothing; a worker that died under on_worker_failure
// CONTINUE (while others are left) becomes LOST, the coordinator drops it from the membership,
// and if it was the chief the coordinator holds the servers' shutdown until the launcher has
// evaluated in the chief's place; any other death, a silent process (the coordinator's
// liveness check), a process that never registered, or Ctrl-C is a FAILURE. Under ASYNC/SSP
// with restarts left (options.respawn_worker), a worker that died without a word, or that the
// liveness check names (it is SIGKILLed first), is spawned again alone instead and REJOINS: the
// coordinator expects its new process, and the others never stop. A failure moves the
// run to ABORTING: the coordinator tells every process to abort at its next heartbeat, and after
// a grace period whatever still runs is killed. When the roles were started by hand elsewhere
// (`distsim coordinator`, `distsim train`), a child of this process that exits 69 (it lost a
// peer) is a failure only after two heartbeat timeouts in which no silent process was found,
// since a host that went away is seen only by its silence. While running, half a stall timeout
// without a new step draws one warning naming the worker furthest behind. The walk ends when no
// child runs (or, for roles started by hand, when every process finished), and the run's status is
// the first failure.
//
// Not thread-safe: the launcher's main thread runs it.
#ifndef DISTSIM_SIM_NODE_SUPERVISOR_H_
#define DISTSIM_SIM_NODE_SUPERVISOR_H_

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "distsim/cluster.pb.h"
#include "distsim/result.pb.h"
#include "sim/node/coordinator.h"
#include "sim/node/launcher.h"
#include "sim/node/run_plan.h"
#include "sim/node/run_recorder.h"

namespace distsim::node {

struct ChildRole {
  ProcessInfo::Role role;
  uint32_t rank;
};

// The coordinator's evaluation in a dead chief's place, at (step, samples).
using DeadChiefEvaluation =
    std::function<absl::StatusOr<EvalRecord>(uint64_t step, uint64_t samples)>;

struct SupervisorOptions {
  const std::atomic<bool>* stop = nullptr;  // Ctrl-C or SIGTERM
  // A run with checkpoints (both set): asked once `stop` is set, true when the run goes on until
  // a checkpoint newer than the last complete one at the signal is complete (SIGTERM; at most
  // plan.timeouts.stop_grace), false to stop at once (Ctrl-C). `newest_checkpoint` returns the
  // newest complete set on disk.
  std::function<bool()> stop_at_next_checkpoint;
  std::function<uint64_t()> newest_checkpoint;
  std::FILE* progress = nullptr;  // the "continuing without" lines; null: silent
  absl::Time registration_deadline = absl::InfiniteFuture();
  bool spawned = true;  // false: the roles were started by hand, there are no children to reap
  // ASYNC/SSP with supervision.max_restarts: starts worker `rank` again alone as restart
  // `attempt` (the run's restarts so far, this one included) and returns its pid. Null: a dead
  // worker is a failure like any other.
  std::function<absl::StatusOr<pid_t>(uint32_t rank, uint32_t attempt)> respawn_worker;
  uint32_t restarts_before = 0;                       // restarts the run used before this watch
  absl::Duration rejoin_timeout = absl::Seconds(30);  // for a new worker process to register
};

class Supervisor {
 public:
  // Every pointer must outlive the supervisor; `roles` names each child by its pid.
  Supervisor(const RunPlan& plan, Coordinator* coordinator, ChildProcesses* children,
             std::map<pid_t, ChildRole> roles, RunRecorder* recorder,
             DeadChiefEvaluation evaluate_for_chief, SupervisorOptions options);

  // Watches until the run is over. OK when it ended normally; the first failure otherwise
  // (Cancelled for Ctrl-C).
  absl::Status Watch();

  // Workers the run went on without (on_worker_failure CONTINUE), in the order they died.
  const std::vector<uint32_t>& lost() const { return lost_; }
  // The workers started again alone (options.respawn_worker), in order, as the result records
  // them (Restart.rejoined).
  std::vector<Restart> rejoins() const;
  bool chief_lost() const;

 private:
  enum class State { kRunning, kAborting };

  bool Running() const;
  void Abort(absl::Status why);
  void HandleExit(const ChildExit& exit);
  uint64_t StepReached(const ChildRole& who) const;
  std::string SilentWorker() const;
  bool CanGoOnWithout(const ChildRole& who) const;
  void GoOnWithout(const ChildExit& exit, const ChildRole& who);
  void EvaluateForDeadChief();
  // A worker that died without a word (killed, crashed, or silenced below) under ASYNC/SSP with
  // restarts left: started again alone. A worker that reported its own failure (it lost a
  // server, it stalled) is not: the fault is elsewhere, and the whole run restarts. True when
  // the exit was taken care of.
  bool Rejoin(const ChildExit& exit, const ChildRole& who);
  // The liveness check named a silent process (`silent_pid`, -1 for another verdict): when it
  // is a worker that may rejoin, it is SIGKILLed (its exit then rejoins it) and true is
  // returned; false when the run must fail.
  bool SilenceWorker(int64_t silent_pid, const absl::Status& silent);
  uint32_t RestartsUsed() const;
  // Each rejoined worker's first word from its new process: one line saying where it went on.
  void AnnounceRejoins();
  std::FILE* Notes() const { return options_.progress != nullptr ? options_.progress : stderr; }
  // One round of the watch; false when the watch must end now.
  bool Round();
  // Once no step has arrived for half the stall timeout: one warning line naming the worker
  // furthest behind and its step, so a person knows before the run stops.
  void WarnOfStall();
  // The stop flag: stops every process now, or once the next checkpoint is complete.
  void HandleStop();

  const RunPlan& plan_;
  Coordinator* coordinator_;
  ChildProcesses* children_;
  std::map<pid_t, ChildRole> roles_;  // a rejoined worker's new pid is added
  RunRecorder* recorder_;
  const DeadChiefEvaluation evaluate_for_chief_;
  const SupervisorOptions options_;

  State state_ = State::kRunning;
  std::optional<absl::Status> failure_;
  // A local child that lost a peer, in a run whose other roles are remote: its failure waits
  // until `until` for the liveness check to name a process that went silent before it.
  struct Deferred {
    absl::Status why;
    absl::Time until;
  };
  std::optional<Deferred> deferred_;
  bool interrupted_ = false;
  std::vector<uint32_t> lost_;
  struct RejoinRecord {
    uint32_t rank = 0;
    std::string failure;                            // who died and how
    uint64_t failed_at = 0;                         // its last step reported
    std::optional<Coordinator::Rejoined> rejoined;  // once its new process said where it went on
  };
  std::vector<RejoinRecord> rejoins_;
  std::map<pid_t, std::string> silenced_;  // workers SIGKILLed for silence, and the verdict
  bool chief_evaluated_ = false;
  absl::Time abort_deadline_ = absl::InfiniteFuture();
  uint64_t steps_seen_ = 0;  // all workers' steps recorded, at the last progress
  absl::Time last_progress_ = absl::Now();
  bool stall_warned_ = false;
  // Going on to the next checkpoint after SIGTERM: the newest complete one at the signal, the
  // latest time to stop, and when to look at the disk next.
  struct Stopping {
    uint64_t good_at_signal = 0;
    absl::Time until;
    absl::Time next_look;
  };
  std::optional<Stopping> stopping_;
};

}  // namespace distsim::node

#endif  // DISTSIM_SIM_NODE_SUPERVISOR_H_
