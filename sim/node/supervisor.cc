#include "sim/node/supervisor.h"

#include <signal.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "sim/base/status.h"

namespace distsim::node {
namespace {

constexpr absl::Duration kPoll = absl::Milliseconds(50);
constexpr absl::Duration kAbortGrace = absl::Seconds(3);
// After SIGTERM, how often the disk is read for the checkpoint the run stops at.
constexpr absl::Duration kCheckpointLook = absl::Milliseconds(200);

}  // namespace

Supervisor::Supervisor(const RunPlan& plan, Coordinator* coordinator, ChildProcesses* children,
                       std::map<pid_t, ChildRole> roles, RunRecorder* recorder,
                       DeadChiefEvaluation evaluate_for_chief, SupervisorOptions options)
    : plan_(plan),
      coordinator_(coordinator),
      children_(children),
      roles_(std::move(roles)),
      recorder_(recorder),
      evaluate_for_chief_(std::move(evaluate_for_chief)),
      options_(options) {}

bool Supervisor::chief_lost() const {
  return std::find(lost_.begin(), lost_.end(), 0u) != lost_.end();
}

bool Supervisor::Running() const {
  return options_.spawned ? children_->running() > 0 : !coordinator_->AllFinished();
}

void Supervisor::Abort(absl::Status why) {
  if (failure_) return;
  failure_ = std::move(why);
  state_ = State::kAborting;
  coordinator_->Abort(std::string(failure_->message()));
  abort_deadline_ = absl::Now() + kAbortGrace;
}

bool Supervisor::CanGoOnWithout(const ChildRole& who) const {
  return plan_.continue_on_worker_loss && who.role == ProcessInfo::WORKER &&
         lost_.size() + 1 < static_cast<size_t>(plan_.shape.workers);
}

// CONTINUE: the servers drop the worker at their next heartbeat; the others go on.
void Supervisor::GoOnWithout(const ChildExit& exit, const ChildRole& who) {
  lost_.push_back(who.rank);
  if (who.rank == 0) coordinator_->HoldShutdown(true);  // evaluate before the servers go
  coordinator_->MarkLost(who.rank);
  if (options_.progress == nullptr) return;
  const uint64_t step = std::max<uint64_t>(coordinator_->last_step(who.role, who.rank),
                                           recorder_->aggregate().steps(who.rank));
  std::fprintf(
      options_.progress, "%s (pid %d) %s (last step reported: %llu); continuing with %d workers\n",
      coordinator_->NameOf(who.role, who.rank).c_str(), exit.pid, DescribeExit(exit).c_str(),
      static_cast<unsigned long long>(step), plan_.shape.workers - static_cast<int>(lost_.size()));
}

// The worker silent longest, when it has sent nothing for at least a second (a heartbeat goes
// out four times a second): "worker 1 (pid 12) stalled at step 41, no heartbeat for 2.3s; ".
// "" when every worker is still heard from (a stall inside a live process).
std::string Supervisor::SilentWorker() const {
  int silent = -1;
  absl::Duration longest = absl::Seconds(1);
  for (int w = 0; w < plan_.shape.workers; ++w) {
    const absl::Duration quiet = coordinator_->silent_for(ProcessInfo::WORKER, w);
    if (quiet > longest) {
      silent = w;
      longest = quiet;
    }
  }
  if (silent < 0) return "";
  return absl::StrFormat("%s (pid %d) stalled at step %d, no heartbeat for %s; ",
                         coordinator_->NameOf(ProcessInfo::WORKER, silent),
                         coordinator_->pid(ProcessInfo::WORKER, silent),
                         coordinator_->last_step(ProcessInfo::WORKER, silent),
                         absl::FormatDuration(absl::Trunc(longest, absl::Milliseconds(100))));
}

// A worker's own last step (as far as its reports arrived: a killed worker takes the records
// it had not sent yet with it); for a server, which counts none, or a worker that reported none,
// the step the run had reached (the furthest worker's).
uint64_t Supervisor::StepReached(const ChildRole& who) const {
  if (who.role == ProcessInfo::WORKER) {
    const uint64_t own = std::max(coordinator_->last_step(who.role, who.rank),
                                  recorder_->aggregate().steps(who.rank));
    if (own > 0) return own;
  }
  uint64_t step = coordinator_->furthest_step();
  for (int w = 0; w < plan_.shape.workers; ++w)
    step = std::max(step, recorder_->aggregate().steps(w));
  return step;
}

uint32_t Supervisor::RestartsUsed() const {
  return options_.restarts_before + static_cast<uint32_t>(rejoins_.size());
}

bool Supervisor::Rejoin(const ChildExit& exit, const ChildRole& who) {
  const uint32_t used = RestartsUsed();
  if (!options_.respawn_worker || who.role != ProcessInfo::WORKER ||
      coordinator_->failure_report(who.role, who.rank) ||
      used >= plan_.config.supervision().max_restarts()) {
    return false;
  }
  const std::string name = coordinator_->NameOf(who.role, who.rank);
  const uint64_t step = StepReached(who);
  const auto silenced = silenced_.find(exit.pid);
  const std::string failure =
      silenced != silenced_.end()
          ? silenced->second
          : absl::StrFormat("%s (pid %d) %s at step %d", name, exit.pid, DescribeExit(exit), step);
  // Expected before it starts: the new process may register before the spawn returns.
  coordinator_->ExpectRejoin(who.rank, absl::Now() + options_.rejoin_timeout);
  absl::StatusOr<pid_t> pid = options_.respawn_worker(who.rank, used + 1);
  if (!pid.ok()) {
    Abort(pid.status());
    return true;
  }
  roles_[*pid] = who;
  rejoins_.push_back({who.rank, failure, step, std::nullopt});
  recorder_->set_attempt(used + 1);
  std::fprintf(Notes(),
               "restart %u of %u after: %s\n%s starts again alone and rejoins; the servers and "
               "the other workers go on\n",
               used + 1, plan_.config.supervision().max_restarts(), failure.c_str(), name.c_str());
  return true;
}

bool Supervisor::SilenceWorker(int64_t silent_pid, const absl::Status& silent) {
  // The child the verdict names, nobody else; -1: the verdict was not silence.
  const auto it = roles_.find(static_cast<pid_t>(silent_pid));
  if (!options_.respawn_worker || it == roles_.end()) return false;
  const auto& [pid, who] = *it;
  if (who.role != ProcessInfo::WORKER) return false;
  if (silenced_.count(pid) > 0) return true;  // killed already; its exit is on the way
  if (coordinator_->failure_report(who.role, who.rank) ||
      RestartsUsed() >= plan_.config.supervision().max_restarts()) {
    return false;
  }
  silenced_[pid] = std::string(silent.message());
  ::kill(pid, SIGKILL);
  return true;
}

void Supervisor::AnnounceRejoins() {
  for (RejoinRecord& r : rejoins_) {
    if (r.rejoined) continue;
    r.rejoined = coordinator_->rejoined(r.rank);
    if (!r.rejoined) continue;
    std::fprintf(Notes(),
                 "%s rejoined at step %llu: the shards had applied its steps up to %llu (%llu "
                 "done again)\n",
                 coordinator_->NameOf(ProcessInfo::WORKER, r.rank).c_str(),
                 static_cast<unsigned long long>(r.rejoined->from + 1),
                 static_cast<unsigned long long>(r.rejoined->from),
                 static_cast<unsigned long long>(r.rejoined->redone));
  }
}

std::vector<Restart> Supervisor::rejoins() const {
  std::vector<Restart> out;
  for (const RejoinRecord& r : rejoins_) {
    Restart restart;
    restart.set_failure(r.failure);
    restart.set_failed_at_step(r.failed_at);
    // A new process that never said where it went on (the run ended first): its last step.
    restart.set_resumed_from_step(r.rejoined ? r.rejoined->from : r.failed_at);
    restart.set_steps_lost(r.rejoined ? r.rejoined->redone : 0);
    restart.set_rejoined(true);
    out.push_back(std::move(restart));
  }
  return out;
}

void Supervisor::HandleExit(const ChildExit& exit) {
  const ChildRole who = roles_.at(exit.pid);
  if (exit.exit_code == 0 || failure_) return;
  if (Rejoin(exit, who)) return;
  if (CanGoOnWithout(who)) {
    GoOnWithout(exit, who);
    return;
  }
  const std::string name = coordinator_->NameOf(who.role, who.rank);
  const uint64_t step = StepReached(who);
  absl::Status why;
  if (auto report = coordinator_->failure_report(who.role, who.rank)) {
    // The process said why before exiting: pass its words and its kind of failure on. A stall
    // names first the process that went silent, not the one that gave up waiting for it.
    const std::string waited = report->exit_code() == kExitTempFail ? SilentWorker() : "";
    why = absl::Status(StatusCodeForExit(report->exit_code()),
                       absl::StrFormat("%s%s (pid %d) failed at step %d: %s", waited, name,
                                       exit.pid, step, report->error()));
  } else {
    why = absl::UnavailableError(
        absl::StrFormat("%s (pid %d) %s at step %d", name, exit.pid, DescribeExit(exit), step));
  }
  // Roles on other hosts die unseen: only their silence tells. A local role that lost a peer
  // (exit 69) is likely the survivor of a host that went away, so for a heartbeat timeout the
  // coordinator's liveness check may name the silent one first.
  if (!options_.spawned && exit.exit_code == kExitUnavailable) {
    if (!deferred_) deferred_ = Deferred{why, absl::Now() + plan_.timeouts.heartbeat * 2};
    return;
  }
  Abort(why);
}

// The chief died and every other worker finished: evaluate on the servers' newest parameters,
// then let the servers go.
void Supervisor::EvaluateForDeadChief() {
  chief_evaluated_ = true;
  const size_t alive = std::max<size_t>(1, plan_.shape.workers - lost_.size());
  absl::StatusOr<EvalRecord> eval = evaluate_for_chief_(
      recorder_->aggregate().total_steps() / alive, recorder_->aggregate().samples());
  coordinator_->HoldShutdown(false);
  if (eval.ok()) {
    recorder_->AddEval(*eval);
  } else {
    Abort(eval.status());
  }
}

void Supervisor::WarnOfStall() {
  const uint64_t steps = recorder_->aggregate().total_steps();
  if (steps != steps_seen_) {
    steps_seen_ = steps;
    last_progress_ = absl::Now();
    stall_warned_ = false;
    return;
  }
  const absl::Duration quiet = absl::Now() - last_progress_;
  if (stall_warned_ || steps == 0 || quiet < plan_.timeouts.stall / 2 ||
      coordinator_->AllWorkersFinished()) {
    return;
  }
  stall_warned_ = true;
  int behind = -1;
  uint64_t behind_step = 0;
  for (int w = 0; w < plan_.shape.workers; ++w) {
    if (std::find(lost_.begin(), lost_.end(), static_cast<uint32_t>(w)) != lost_.end()) continue;
    const uint64_t step = recorder_->aggregate().steps(w);
    if (behind < 0 || step < behind_step) {
      behind = w;
      behind_step = step;
    }
  }
  // A warning, not progress: shown even with -q.
  std::fprintf(options_.progress != nullptr ? options_.progress : stderr,
               "\nwarning: no step for %s (half of supervision.stall_timeout_s): worker %d is "
               "furthest behind, at step %llu; the run stops as stalled at %s\n",
               absl::FormatDuration(absl::Trunc(quiet, absl::Milliseconds(100))).c_str(), behind,
               static_cast<unsigned long long>(behind_step),
               absl::FormatDuration(plan_.timeouts.stall).c_str());
}

void Supervisor::HandleStop() {
  if (failure_ || options_.stop == nullptr || !options_.stop->load()) return;
  const bool to_checkpoint = options_.newest_checkpoint && options_.stop_at_next_checkpoint &&
                             (stopping_ || options_.stop_at_next_checkpoint());
  if (!to_checkpoint) {
    interrupted_ = true;
    Abort(absl::CancelledError("interrupted (Ctrl-C, or SIGTERM): every process was stopped"));
    return;
  }
  const absl::Time now = absl::Now();
  if (!stopping_) {
    stopping_ = Stopping{options_.newest_checkpoint(), now + plan_.timeouts.stop_grace, now};
    std::fprintf(
        options_.progress != nullptr ? options_.progress : stderr,
        "\nSIGTERM: the run goes on to its next checkpoint (every %llu steps), for at "
        "most %s (supervision.stop_grace_s), then stops every process\n",
        static_cast<unsigned long long>(plan_.config.supervision().checkpoint_every_steps()),
        absl::FormatDuration(plan_.timeouts.stop_grace).c_str());
  }
  if (now < stopping_->next_look) return;
  stopping_->next_look = now + kCheckpointLook;
  const uint64_t newest = options_.newest_checkpoint();
  if (newest > stopping_->good_at_signal) {
    interrupted_ = true;
    Abort(absl::CancelledError(absl::StrFormat(
        "every process stopped at the checkpoint of step %d, complete after the signal; "
        "`distsim run CONFIG --resume` goes on from it",
        newest)));
  } else if (now > stopping_->until) {
    interrupted_ = true;
    Abort(absl::CancelledError(absl::StrFormat(
        "no checkpoint was complete within supervision.stop_grace_s (%s): every process was "
        "stopped; the newest complete checkpoint is step %d",
        absl::FormatDuration(plan_.timeouts.stop_grace), stopping_->good_at_signal)));
  }
}

bool Supervisor::Round() {
  HandleStop();
  const std::vector<ChildExit> exits = children_->Reap();
  if (!exits.empty()) recorder_->Drain(*coordinator_);  // what the dead sent before they died
  for (const ChildExit& exit : exits) HandleExit(exit);
  if (!failure_) {
    int64_t silent_pid = -1;
    absl::Status live = coordinator_->CheckLiveness(options_.registration_deadline, &silent_pid);
    if (!live.ok() && !SilenceWorker(silent_pid, live)) Abort(live);
  }
  AnnounceRejoins();
  if (!failure_ && deferred_ && absl::Now() > deferred_->until) Abort(deferred_->why);
  recorder_->Drain(*coordinator_);
  if (!recorder_->status().ok()) Abort(recorder_->status());  // a full disk stops the run now
  if (!failure_) WarnOfStall();
  if (!failure_ && !chief_evaluated_ && chief_lost() && coordinator_->AllWorkersFinished()) {
    EvaluateForDeadChief();
  }
  if (state_ == State::kAborting && (absl::Now() > abort_deadline_ || !options_.spawned)) {
    if (!options_.spawned) absl::SleepFor(kAbortGrace);  // let the heartbeats carry the abort
    children_->KillAll();
    return false;
  }
  return true;
}

absl::Status Supervisor::Watch() {
  while (Running() && Round()) absl::SleepFor(kPoll);
  recorder_->Drain(*coordinator_);
  AnnounceRejoins();
  if (!failure_) return absl::OkStatus();
  return interrupted_ ? absl::CancelledError(failure_->message()) : *failure_;
}

}  // namespace distsim::node
