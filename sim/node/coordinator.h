// The coordinator: the one place that knows the whole run. It collects registrations into the
// peer table, decides liveness from heartbeats, gathers every worker's step records, and tells
// every process to go on, abort or shut down. It runs inside the launcher (`distsim run`), or
// alone (`distsim coordinator`) when the roles are started by hand.
//
// Thread safety: every method may be called from any thread (gRPC handler threads and the
// launcher's main thread).
#ifndef DISTSIM_SIM_NODE_COORDINATOR_H_
#define DISTSIM_SIM_NODE_COORDINATOR_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "distsim/cluster.pb.h"
#include "sim/comm/coordinator_rpc.h"

namespace distsim::node {

// "worker 2", "server 0".
std::string ProcessName(ProcessInfo::Role role, uint32_t rank);

class Coordinator final : public comm::CoordinatorHandler {
 public:
  // Expects `servers` server processes and `workers` worker processes. A registered process
  // silent for `heartbeat_timeout` is dead.
  Coordinator(int servers, int workers, absl::Duration heartbeat_timeout);

  // Set before the coordinator serves. When the run's clock started (Unix seconds): the peer
  // table carries it to processes started by hand. And the host each process runs on, by rank
  // ("algo-2"): messages then say "worker 1 on algo-2". Empty names: no host in messages.
  void SetRunStart(double unix_s) { run_start_unix_ = unix_s; }
  void SetHostNames(std::vector<std::string> server_hosts, std::vector<std::string> worker_hosts);
  // "worker 1", or "worker 1 on algo-2" when the hosts are named.
  std::string NameOf(ProcessInfo::Role role, uint32_t rank) const;

  // CoordinatorHandler.
  absl::Status Register(const ProcessInfo& process) override;
  std::optional<PeerTable> WaitForPeers(absl::Duration max_wait) override;
  comm::HeartbeatAnswer Heartbeat(comm::HeartbeatData data) override;
  absl::Status Finish(const ProcessSummary& summary) override;

  // Every process is told to abort at its next heartbeat. The first reason is kept.
  void Abort(const std::string& reason);
  std::optional<std::string> abort_reason() const;

  // Unavailable naming the registered, unfinished process silent longest, when that is past the
  // heartbeat timeout (the first to go silent is the one that failed; its peers may fall silent
  // after it), or, when `registration_deadline` passed, the first process that never
  // registered. When the verdict is silence, `*silent_pid` (if given) gets the process's pid.
  absl::Status CheckLiveness(absl::Time registration_deadline, int64_t* silent_pid = nullptr) const;

  // on_worker_failure CONTINUE: the run goes on without `worker`. It counts as finished from now
  // on, and every heartbeat answer lists it so the servers drop it from their membership.
  void MarkLost(uint32_t worker);
  std::vector<uint32_t> lost_workers() const;
  // While held, no heartbeat answer says shutdown, even once every worker finished (the
  // launcher still needs the servers: it evaluates for a dead chief).
  void HoldShutdown(bool hold);

  // ASYNC/SSP with restarts left: `worker`'s process died and the launcher starts a new one of
  // the same rank. Until that one registers (with its new pid and address, which the slot then
  // holds), the worker is neither silent nor missing; after `deadline` it is lost ("did not
  // rejoin").
  void ExpectRejoin(uint32_t worker, absl::Time deadline);
  // What the new process said in its heartbeats: it went on from step `from` + 1 and did
  // `redone` steps again. nullopt until it said so.
  struct Rejoined {
    uint64_t from = 0;
    uint64_t redone = 0;
  };
  std::optional<Rejoined> rejoined(uint32_t worker) const;

  bool AllWorkersFinished() const;  // lost workers count as finished
  bool AllFinished() const;         // workers and servers
  bool peers_ready() const;
  // Last step a process reported (0 if none) and its pid (0 if it never registered).
  uint64_t last_step(ProcessInfo::Role role, uint32_t rank) const;
  // The step the run had reached: the largest any worker reported (0 if none).
  uint64_t furthest_step() const;
  // How long a registered, unfinished process has sent nothing (zero otherwise).
  absl::Duration silent_for(ProcessInfo::Role role, uint32_t rank) const;
  int64_t pid(ProcessInfo::Role role, uint32_t rank) const;

  // Records received so far; each call returns only what arrived since the previous call.
  struct NewRecords {
    std::vector<std::pair<uint32_t, StepRecord>> steps;  // (worker rank, record)
    std::vector<EvalRecord> evals;
  };
  NewRecords TakeNewRecords();

  // The error a process reported before exiting, if it did (ProcessSummary.error set).
  std::optional<ProcessSummary> failure_report(ProcessInfo::Role role, uint32_t rank) const;

  // What everyone said when they finished, by role then rank (missing entries are empty).
  std::vector<ProcessSummary> summaries(ProcessInfo::Role role) const;

 private:
  struct Slot {
    bool registered = false;
    bool finished = false;
    bool lost = false;
    bool rejoining = false;  // ExpectRejoin: a new process of this rank is starting
    absl::Time rejoin_deadline;
    std::optional<Rejoined> rejoined;
    std::optional<ProcessSummary> failure;
    ProcessInfo info;
    absl::Time last_seen;
    uint64_t last_step = 0;
    ProcessSummary summary;
  };
  Slot* FindSlot(ProcessInfo::Role role, uint32_t rank) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  const Slot* FindSlot(ProcessInfo::Role role, uint32_t rank) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  bool CompleteLocked() const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  const absl::Duration heartbeat_timeout_;
  double run_start_unix_ = 0;              // set before serving
  std::vector<std::string> server_hosts_;  // set before serving
  std::vector<std::string> worker_hosts_;
  mutable absl::Mutex mu_;
  std::vector<Slot> servers_ ABSL_GUARDED_BY(mu_);
  std::vector<Slot> workers_ ABSL_GUARDED_BY(mu_);
  std::optional<std::string> abort_reason_ ABSL_GUARDED_BY(mu_);
  bool hold_shutdown_ ABSL_GUARDED_BY(mu_) = false;
  NewRecords new_records_ ABSL_GUARDED_BY(mu_);
};

}  // namespace distsim::node

#endif  // DISTSIM_SIM_NODE_COORDINATOR_H_
