#include "sim/node/coordinator.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace distsim::node {

std::string ProcessName(ProcessInfo::Role role, uint32_t rank) {
  return absl::StrCat(role == ProcessInfo::SERVER ? "server " : "worker ", rank);
}

Coordinator::Coordinator(int servers, int workers, absl::Duration heartbeat_timeout)
    : heartbeat_timeout_(heartbeat_timeout), servers_(servers), workers_(workers) {}

void Coordinator::SetHostNames(std::vector<std::string> server_hosts,
                               std::vector<std::string> worker_hosts) {
  server_hosts_ = std::move(server_hosts);
  worker_hosts_ = std::move(worker_hosts);
}

std::string Coordinator::NameOf(ProcessInfo::Role role, uint32_t rank) const {
  const std::vector<std::string>& hosts =
      role == ProcessInfo::SERVER ? server_hosts_ : worker_hosts_;
  if (rank < hosts.size() && !hosts[rank].empty()) {
    return absl::StrCat(ProcessName(role, rank), " on ", hosts[rank]);
  }
  return ProcessName(role, rank);
}

Coordinator::Slot* Coordinator::FindSlot(ProcessInfo::Role role, uint32_t rank) {
  std::vector<Slot>& slots = role == ProcessInfo::SERVER ? servers_ : workers_;
  if (role != ProcessInfo::SERVER && role != ProcessInfo::WORKER) return nullptr;
  return rank < slots.size() ? &slots[rank] : nullptr;
}

const Coordinator::Slot* Coordinator::FindSlot(ProcessInfo::Role role, uint32_t rank) const {
  const std::vector<Slot>& slots = role == ProcessInfo::SERVER ? servers_ : workers_;
  if (role != ProcessInfo::SERVER && role != ProcessInfo::WORKER) return nullptr;
  return rank < slots.size() ? &slots[rank] : nullptr;
}

bool Coordinator::CompleteLocked() const {
  for (const Slot& s : servers_) {
    if (!s.registered) return false;
  }
  for (const Slot& s : workers_) {
    if (!s.registered) return false;
  }
  return true;
}

absl::Status Coordinator::Register(const ProcessInfo& process) {
  absl::MutexLock lock(&mu_);
  Slot* slot = FindSlot(process.role(), process.rank());
  if (slot == nullptr) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s (pid %d) is not part of this run (%d servers, %d workers)",
        NameOf(process.role(), process.rank()), process.pid(), servers_.size(), workers_.size()));
  }
  if (slot->registered && slot->info.pid() != process.pid() && !slot->rejoining) {
    return absl::InvalidArgumentError(absl::StrFormat("%s registered twice: pid %d, then pid %d",
                                                      NameOf(process.role(), process.rank()),
                                                      slot->info.pid(), process.pid()));
  }
  slot->registered = true;
  slot->rejoining = false;
  slot->info = process;
  slot->last_seen = absl::Now();
  // Liveness counts from the moment the peer table is complete: until then a registered
  // process waits for the others (hundreds may still be starting on two cores) and sends no
  // heartbeat, and that silence is not death.
  if (CompleteLocked()) {
    for (std::vector<Slot>* slots : {&servers_, &workers_}) {
      for (Slot& s : *slots) s.last_seen = slot->last_seen;
    }
  }
  return absl::OkStatus();
}

std::optional<PeerTable> Coordinator::WaitForPeers(absl::Duration max_wait) {
  absl::MutexLock lock(&mu_);
  auto complete = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return CompleteLocked() || abort_reason_.has_value();
  };
  mu_.AwaitWithTimeout(absl::Condition(&complete), max_wait);
  if (!CompleteLocked()) return std::nullopt;
  PeerTable table;
  table.set_run_start_unix(run_start_unix_);
  for (const Slot& s : servers_) *table.add_servers() = s.info;
  for (const Slot& s : workers_) *table.add_workers() = s.info;
  return table;
}

comm::HeartbeatAnswer Coordinator::Heartbeat(comm::HeartbeatData data) {
  absl::MutexLock lock(&mu_);
  comm::HeartbeatAnswer answer;
  Slot* slot = FindSlot(data.role, data.rank);
  if (slot == nullptr) {
    answer.command = comm::Command::kAbort;
    answer.reason = absl::StrCat(NameOf(data.role, data.rank), " is not part of this run");
    return answer;
  }
  slot->last_seen = absl::Now();
  slot->last_step = std::max(slot->last_step, data.step);
  if (data.rejoined) slot->rejoined = Rejoined{data.resumed_from_step, data.steps_redone};
  for (StepRecord& r : data.steps) new_records_.steps.emplace_back(data.rank, std::move(r));
  for (EvalRecord& e : data.evals) new_records_.evals.push_back(std::move(e));
  if (abort_reason_) {
    answer.command = comm::Command::kAbort;
    answer.reason = *abort_reason_;
    return answer;
  }
  for (size_t w = 0; w < workers_.size(); ++w) {
    if (workers_[w].lost) answer.lost_workers.push_back(static_cast<uint32_t>(w));
  }
  // Once every worker finished, everyone still up (servers; allreduce workers keeping their
  // link open for their neighbours' last frames) may go.
  bool all_done = true;
  for (const Slot& w : workers_) all_done &= w.finished;
  if (all_done && !hold_shutdown_) answer.command = comm::Command::kShutdown;
  return answer;
}

absl::Status Coordinator::Finish(const ProcessSummary& summary) {
  absl::MutexLock lock(&mu_);
  Slot* slot = FindSlot(summary.process().role(), summary.process().rank());
  if (slot == nullptr) return absl::InvalidArgumentError("Finish from a process not in this run");
  if (!summary.error().empty()) {
    slot->failure = summary;
    return absl::OkStatus();
  }
  slot->finished = true;
  slot->summary = summary;
  slot->last_seen = absl::Now();
  return absl::OkStatus();
}

void Coordinator::MarkLost(uint32_t worker) {
  absl::MutexLock lock(&mu_);
  if (worker >= workers_.size()) return;
  workers_[worker].lost = true;
  workers_[worker].finished = true;
}

std::vector<uint32_t> Coordinator::lost_workers() const {
  absl::MutexLock lock(&mu_);
  std::vector<uint32_t> out;
  for (size_t w = 0; w < workers_.size(); ++w) {
    if (workers_[w].lost) out.push_back(static_cast<uint32_t>(w));
  }
  return out;
}

void Coordinator::ExpectRejoin(uint32_t worker, absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  if (worker >= workers_.size()) return;
  Slot& slot = workers_[worker];
  slot.rejoining = true;
  slot.rejoin_deadline = deadline;
  slot.rejoined.reset();
  slot.failure.reset();  // the dead process's words are the launcher's now
}

std::optional<Coordinator::Rejoined> Coordinator::rejoined(uint32_t worker) const {
  absl::MutexLock lock(&mu_);
  return worker < workers_.size() ? workers_[worker].rejoined : std::nullopt;
}

void Coordinator::HoldShutdown(bool hold) {
  absl::MutexLock lock(&mu_);
  hold_shutdown_ = hold;
}

void Coordinator::Abort(const std::string& reason) {
  absl::MutexLock lock(&mu_);
  if (!abort_reason_) abort_reason_ = reason;
}

std::optional<std::string> Coordinator::abort_reason() const {
  absl::MutexLock lock(&mu_);
  return abort_reason_;
}

absl::Status Coordinator::CheckLiveness(absl::Time registration_deadline,
                                        int64_t* silent_pid) const {
  absl::MutexLock lock(&mu_);
  const absl::Time now = absl::Now();
  const bool complete = CompleteLocked();  // before: only the registration deadline counts
  const Slot* silent = nullptr;            // the registered process silent longest
  ProcessInfo::Role silent_role = ProcessInfo::WORKER;
  uint32_t silent_rank = 0;
  for (const std::vector<Slot>* slots : {&servers_, &workers_}) {
    for (size_t rank = 0; rank < slots->size(); ++rank) {
      const Slot& s = (*slots)[rank];
      ProcessInfo::Role role = slots == &servers_ ? ProcessInfo::SERVER : ProcessInfo::WORKER;
      if (!s.registered) {
        if (now > registration_deadline) {
          return absl::UnavailableError(
              absl::StrCat(NameOf(role, rank),
                           " never registered with the coordinator (did it start? "
                           "is its address reachable?)"));
        }
        continue;
      }
      if (s.rejoining) {
        if (now <= s.rejoin_deadline) continue;
        return absl::UnavailableError(
            absl::StrCat(NameOf(role, rank), " did not rejoin: its new process never registered"));
      }
      if (s.finished || !complete) continue;
      if (silent == nullptr || s.last_seen < silent->last_seen) {
        silent = &s;
        silent_role = role;
        silent_rank = static_cast<uint32_t>(rank);
      }
    }
  }
  if (silent == nullptr || now - silent->last_seen <= heartbeat_timeout_) return absl::OkStatus();
  if (silent_pid != nullptr) *silent_pid = silent->info.pid();
  return absl::UnavailableError(absl::StrFormat(
      "%s (pid %d) sent no heartbeat for %s (last step %d)", NameOf(silent_role, silent_rank),
      silent->info.pid(), absl::FormatDuration(now - silent->last_seen), silent->last_step));
}

bool Coordinator::AllWorkersFinished() const {
  absl::MutexLock lock(&mu_);
  for (const Slot& w : workers_) {
    if (!w.finished) return false;
  }
  return true;
}

bool Coordinator::AllFinished() const {
  absl::MutexLock lock(&mu_);
  for (const std::vector<Slot>* slots : {&servers_, &workers_}) {
    for (const Slot& s : *slots) {
      if (!s.finished) return false;
    }
  }
  return true;
}

bool Coordinator::peers_ready() const {
  absl::MutexLock lock(&mu_);
  return CompleteLocked();
}

uint64_t Coordinator::last_step(ProcessInfo::Role role, uint32_t rank) const {
  absl::MutexLock lock(&mu_);
  const Slot* s = FindSlot(role, rank);
  return s ? s->last_step : 0;
}

uint64_t Coordinator::furthest_step() const {
  absl::MutexLock lock(&mu_);
  uint64_t step = 0;
  for (const Slot& w : workers_) step = std::max(step, w.last_step);
  return step;
}

absl::Duration Coordinator::silent_for(ProcessInfo::Role role, uint32_t rank) const {
  absl::MutexLock lock(&mu_);
  const Slot* s = FindSlot(role, rank);
  if (s == nullptr || !s->registered || s->finished || s->rejoining) return absl::ZeroDuration();
  return absl::Now() - s->last_seen;
}

int64_t Coordinator::pid(ProcessInfo::Role role, uint32_t rank) const {
  absl::MutexLock lock(&mu_);
  const Slot* s = FindSlot(role, rank);
  return s && s->registered ? s->info.pid() : 0;
}

std::optional<ProcessSummary> Coordinator::failure_report(ProcessInfo::Role role,
                                                          uint32_t rank) const {
  absl::MutexLock lock(&mu_);
  const Slot* s = FindSlot(role, rank);
  return s ? s->failure : std::nullopt;
}

Coordinator::NewRecords Coordinator::TakeNewRecords() {
  absl::MutexLock lock(&mu_);
  NewRecords out;
  std::swap(out, new_records_);
  return out;
}

std::vector<ProcessSummary> Coordinator::summaries(ProcessInfo::Role role) const {
  absl::MutexLock lock(&mu_);
  std::vector<ProcessSummary> out;
  for (const Slot& s : role == ProcessInfo::SERVER ? servers_ : workers_) {
    out.push_back(s.summary);
  }
  return out;
}

}  // namespace distsim::node
