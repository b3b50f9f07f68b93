#include "sim/model/timeline.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "sim/base/status.h"
#include "sim/model/timeline_checks.h"

namespace distsim::model {
namespace {

// The modelled compute of a step: on the simulated instance, plus any injected pause.
double StepCompute(const StepRecord& r) { return r.model_compute_s() + r.model_pause_s(); }

Timeline StartTimeline(const std::vector<std::vector<StepRecord>>& steps) {
  Timeline tl;
  tl.worker_end_s.assign(steps.size(), 0);
  tl.worker_step_end_s.resize(steps.size());
  for (const auto& records : steps) tl.worker_steps.push_back(records.size());
  return tl;
}

void Finish(Timeline* tl) {
  for (double end : tl->worker_end_s) tl->seconds = std::max(tl->seconds, end);
}

// Timeline::window_s and window_steps: until the first worker that ran to the end (not lost,
// and in lockstep, not stopped early) finished its last step.
void SetWindow(const TimelineSpec& spec, Timeline* tl) {
  size_t longest = 0;
  for (uint64_t s : tl->worker_steps) longest = std::max<size_t>(longest, s);
  double window = 0;
  for (size_t w = 0; w < tl->worker_step_end_s.size(); ++w) {
    const auto& ends = tl->worker_step_end_s[w];
    if (ends.empty()) continue;
    if (w < spec.worker_lost.size() && spec.worker_lost[w]) continue;
    if (tl->order == kOrderLockstep && ends.size() != longest) continue;
    if (window == 0 || ends.back() < window) window = ends.back();
  }
  if (window == 0) window = tl->seconds;
  tl->window_s = window;
  tl->window_steps = 0;
  for (const auto& ends : tl->worker_step_end_s) {
    tl->window_steps += static_cast<uint64_t>(
        std::upper_bound(ends.begin(), ends.end(), window * (1 + 1e-12)) - ends.begin());
  }
}

Timeline BuildLocal(const std::vector<std::vector<StepRecord>>& steps) {
  Timeline tl = StartTimeline(steps);
  tl.order = kOrderBackToBack;
  for (size_t w = 0; w < steps.size(); ++w) {
    double t = 0;
    for (size_t i = 0; i < steps[w].size(); ++i) {
      t += StepCompute(steps[w][i]);
      tl.compute_s += StepCompute(steps[w][i]);
      if (tl.step_end_s.size() <= i) tl.step_end_s.push_back(0);
      tl.step_end_s[i] = std::max(tl.step_end_s[i], t);
      tl.worker_step_end_s[w].push_back(t);
    }
    tl.worker_end_s[w] = t;
  }
  Finish(&tl);
  return tl;
}

Timeline BuildLockstep(const TimelineSpec& spec,
                       const std::vector<std::vector<StepRecord>>& steps) {
  Timeline tl = StartTimeline(steps);
  tl.order = kOrderLockstep;
  size_t max_steps = 0;
  for (const auto& records : steps) max_steps = std::max(max_steps, records.size());
  // Nobody starts step 1 before the last worker has started: until then every worker waits
  // (a late one for its own start).
  double end = 0;
  for (double start : spec.worker_start_s) end = std::max(end, start);
  for (size_t w = 0; w < spec.worker_start_s.size(); ++w) {
    if (!steps[w].empty()) tl.waiting_s += end;
  }
  for (size_t i = 0; i < max_steps; ++i) {
    std::vector<size_t> members;  // the workers that have a step i + 1
    std::vector<int> member_hosts;
    double max_compute = 0;
    for (size_t w = 0; w < steps.size(); ++w) {
      if (steps[w].size() <= i) continue;
      members.push_back(w);
      member_hosts.push_back(spec.worker_host[w]);
      max_compute = std::max(max_compute, StepCompute(steps[w][i]));
    }
    double before = 0, after = 0;
    if (spec.kind == TimelineSpec::kRing) {
      after = RingAllreduceSeconds(member_hosts, spec.model_bytes, spec.net);
    } else {
      before = PsPhaseSeconds(member_hosts, spec.server_host, spec.shard_bytes, false, spec.net);
      after = PsPhaseSeconds(member_hosts, spec.server_host, spec.shard_bytes, true, spec.net);
    }
    end += before + max_compute + after;
    for (size_t w : members) {
      const double own = StepCompute(steps[w][i]);
      tl.compute_s += own;
      tl.communication_s += before + after;
      tl.waiting_s += max_compute - own;
      tl.worker_end_s[w] = end;
      tl.worker_step_end_s[w].push_back(end);
    }
    tl.step_end_s.push_back(end);
  }
  Finish(&tl);
  return tl;
}

// The NIC directions of every host during the replay, each a calendar of busy intervals. A
// transfer takes the earliest gap at or after the time it is ready that is free on both its
// sender's egress and its receiver's ingress. The replay takes events in the real order, which
// need not be the modelled order (the real run paced the workers differently from the modelled
// cluster): a calendar, unlike a single "free from" time, never makes a transfer that is early on
// the modelled clock queue behind one that is later on it; the real order only decides who goes
// first among transfers that overlap.
//
// A NIC direction keeps two calendars: one for bulk messages, one for messages of at most
// kInterleavedBytes (less than one TCP window). TCP interleaves a small message with the bulk
// transfers on the same NIC, so it queues only behind other small ones (a bias tensor's few kB
// does not wait 100 ms behind a 13 MB layer), while many small messages still share the NIC's
// bandwidth among themselves.
constexpr double kInterleavedBytes = 64 * 1024;

class Nics {
 public:
  Nics(int hosts, const Network& net)
      : net_(net), egress_(hosts), ingress_(hosts), small_egress_(hosts), small_ingress_(hosts) {}

  // A transfer that may start at `ready`; returns when it has arrived.
  double Send(double ready, int from, int to, double bytes) {
    if (from == to) return ready;
    // Infinite bandwidth holds no NIC, so nothing queues (the replay order does not matter).
    if (net_.bytes_per_s <= 0) return ready + net_.alpha_s + MeanLossDelay(bytes, net_);
    const double wire = WireSeconds(bytes, net_);
    const bool small = bytes <= kInterleavedBytes;
    Calendar& out = small ? small_egress_[from] : egress_[from];
    Calendar& in = small ? small_ingress_[to] : ingress_[to];
    double start = ready;
    if (wire > 0) {
      // Alternate between the two calendars until one start fits both.
      while (true) {
        const double a = Fit(out, start, wire);
        const double b = Fit(in, a, wire);
        start = b;
        if (b == a) break;
      }
      out[start] = start + wire;
      in[start] = start + wire;
    }
    // Lost packets delay this message only (their round trips do not hold the NIC).
    return start + wire + net_.alpha_s + MeanLossDelay(bytes, net_);
  }

 private:
  using Calendar = std::map<double, double>;  // busy [start, end), disjoint, by start

  // The earliest t >= s with [t, t + d) free in `busy`.
  static double Fit(const Calendar& busy, double s, double d) {
    auto it = busy.upper_bound(s);
    if (it != busy.begin()) s = std::max(s, std::prev(it)->second);
    for (; it != busy.end() && it->first < s + d; ++it) s = std::max(s, it->second);
    return s;
  }

  const Network net_;
  std::vector<Calendar> egress_, ingress_;              // bulk messages
  std::vector<Calendar> small_egress_, small_ingress_;  // messages of <= kInterleavedBytes
};

// The replay of an ASYNC or SSP run: each worker's pulls and pushes, taken in the order the real
// run did them, over the NIC calendars.
class Replay {
 public:
  Replay(const TimelineSpec& spec, const std::vector<std::vector<StepRecord>>& steps)
      : spec_(spec),
        steps_(steps),
        n_(steps.size()),
        nics_(HostCount(spec), spec.net),
        ssp_(spec.kind == TimelineSpec::kPsSsp),
        shared_(spec.global_steps > 0),
        pending_(n_),
        next_(n_, 0),
        push_done_(n_) {
    tl_ = StartTimeline(steps);
    tl_.order = shared_ ? kOrderShared : kOrderReplayed;
    // A worker is first ready at its start; until then it waits.
    for (size_t w = 0; w < spec.worker_start_s.size() && w < n_; ++w) {
      tl_.worker_end_s[w] = spec.worker_start_s[w];
      if (!steps[w].empty()) tl_.waiting_s += spec.worker_start_s[w];
    }
  }

  absl::StatusOr<Timeline> Run() {
    uint64_t pushes = 0;
    for (;;) {
      if (shared_ && pushes == spec_.global_steps) break;
      bool any_left = false;
      const size_t w = shared_ ? NextInModelledOrder(&any_left) : NextWorker(&any_left);
      if (!any_left) break;
      if (w == n_) {
        // Cannot happen: the worker with the fewest pushes is never held back.
        return absl::InternalError("timeline: SSP replay deadlocked");
      }
      if (next_[w] % 2 == 0) {
        Pull(w);
      } else {
        Push(w);
        ++pushes;
      }
      ++next_[w];
    }
    for (size_t w = 0; w < n_; ++w) {
      tl_.worker_step_end_s[w] = push_done_[w];
      tl_.worker_steps[w] = push_done_[w].size();
      // A shared run ends at its last push: a step begun before it is not finished.
      if (shared_ && !push_done_[w].empty()) tl_.worker_end_s[w] = push_done_[w].back();
    }
    Finish(&tl_);
    return tl_;
  }

 private:
  static int HostCount(const TimelineSpec& spec) {
    int hosts = 0;
    for (int h : spec.worker_host) hosts = std::max(hosts, h + 1);
    for (int h : spec.server_host) hosts = std::max(hosts, h + 1);
    return hosts;
  }

  // SSP: the pull at clock c needs push number c - s of every other worker that will make it.
  size_t NeededPush(size_t c) const {
    return ssp_ && c > spec_.staleness ? c - spec_.staleness : 0;  // 0: none
  }

  bool Lost(size_t w) const { return w < spec_.worker_lost.size() && spec_.worker_lost[w]; }

  // Whether worker v makes push number `need` at all: in a shared run every live worker goes on
  // until the end; otherwise (and a lost worker) only its recorded steps.
  bool Makes(size_t v, size_t need) const {
    return (shared_ && !Lost(v) && !steps_[v].empty()) || steps_[v].size() >= need;
  }

  // The record worker w's step c (0-based) costs: its own, then its records again in turn.
  const StepRecord& Record(size_t w, size_t c) const { return steps_[w][c % steps_[w].size()]; }

  // Whether worker w has events left.
  bool HasEvents(size_t w) const {
    if (steps_[w].empty()) return false;
    return (shared_ && !Lost(w)) || next_[w] < 2 * steps_[w].size();
  }

  bool Blocked(size_t w, size_t c) const {
    const size_t need = NeededPush(c);
    if (need == 0) return false;
    for (size_t v = 0; v < n_; ++v) {
      if (v != w && Makes(v, need) && push_done_[v].size() < need) return true;
    }
    return false;
  }

  // Shared runs: the worker whose next event is earliest on the modelled clock (ties: the lower
  // worker), an SSP pull held back by the bound waiting its turn.
  size_t NextInModelledOrder(bool* any_left) const {
    size_t best = n_;
    for (size_t w = 0; w < n_; ++w) {
      if (!HasEvents(w)) continue;
      *any_left = true;
      if (next_[w] % 2 == 0 && Blocked(w, next_[w] / 2)) continue;
      if (best == n_ || tl_.worker_end_s[w] < tl_.worker_end_s[best]) best = w;
    }
    return best;
  }

  // The earliest (real time, worker) among each worker's next event; a worker's own events
  // stay in program order, and an SSP pull still held back by the bound waits its turn.
  // Returns n_ if none can go; *any_left says whether any worker has events left.
  size_t NextWorker(bool* any_left) const {
    size_t best = n_;
    double best_real = 0;
    for (size_t w = 0; w < n_; ++w) {
      if (next_[w] == 2 * steps_[w].size()) continue;
      *any_left = true;
      const StepRecord& r = steps_[w][next_[w] / 2];
      const bool is_push = next_[w] % 2 == 1;
      if (!is_push && Blocked(w, next_[w] / 2)) continue;
      // A push counts when the servers had it all (its end), a pull when it was asked for.
      const double real = is_push ? r.push_start_s() + r.push_s() : r.pull_start_s();
      if (best == n_ || real < best_real) {
        best = w;
        best_real = real;
      }
    }
    return best;
  }

  // Worker w's pull of its step c + 1 (after any SSP wait), then that step's compute.
  void Pull(size_t w) {
    std::vector<double>& t = tl_.worker_end_s;  // when each worker is next ready
    const size_t c = next_[w] / 2;              // the worker's clock, 0-based
    const StepRecord& r = Record(w, c);
    const int host = spec_.worker_host[w];
    double ready = t[w];
    if (const size_t need = NeededPush(c); need > 0) {
      for (size_t v = 0; v < n_; ++v) {
        if (v != w && Makes(v, need)) ready = std::max(ready, push_done_[v][need - 1]);
      }
    }
    double done = ready;
    for (size_t j = 0; j < spec_.server_host.size(); ++j) {
      if (spec_.shard_bytes[j] <= 0) continue;
      // The pull's request reaches the server one latency before its reply can leave.
      const double asked = ready + (spec_.server_host[j] != host ? spec_.net.alpha_s : 0);
      done = std::max(done, nics_.Send(asked, spec_.server_host[j], host, spec_.shard_bytes[j]));
    }
    // Counted once the step's push is done (a shared run may end before it is).
    pending_[w] = {ready - t[w], done - ready, StepCompute(r)};
    t[w] = done + StepCompute(r);
  }

  void Push(size_t w) {
    std::vector<double>& t = tl_.worker_end_s;
    const int host = spec_.worker_host[w];
    double done = t[w];
    for (size_t j = 0; j < spec_.server_host.size(); ++j) {
      if (spec_.shard_bytes[j] <= 0) continue;
      // The push is done when its ack is back, one latency after its chunks arrived.
      const double ack = spec_.server_host[j] != host ? spec_.net.alpha_s : 0;
      done =
          std::max(done, nics_.Send(t[w], host, spec_.server_host[j], spec_.shard_bytes[j]) + ack);
    }
    tl_.waiting_s += pending_[w].waiting;
    tl_.communication_s += pending_[w].communication + done - t[w];
    tl_.compute_s += pending_[w].compute;
    pending_[w] = {};
    t[w] = done;
    push_done_[w].push_back(done);
  }

  const TimelineSpec& spec_;
  const std::vector<std::vector<StepRecord>>& steps_;
  const size_t n_;
  Nics nics_;
  const bool ssp_;
  const bool shared_;  // spec.global_steps > 0
  Timeline tl_;
  // The parts of each worker's pulled step, added to the totals when its push is done.
  struct Pending {
    double waiting = 0, communication = 0, compute = 0;
  };
  std::vector<Pending> pending_;
  std::vector<size_t> next_;                    // event 2i: pull of step i + 1; 2i + 1: push
  std::vector<std::vector<double>> push_done_;  // modelled time of each worker's pushes
};

}  // namespace

absl::StatusOr<Timeline> BuildTimeline(const TimelineSpec& spec,
                                       const std::vector<std::vector<StepRecord>>& steps) {
  DS_RETURN_IF_ERROR(ValidateTimelineInput(spec, steps));
  Timeline tl;
  switch (spec.kind) {
    case TimelineSpec::kLocal:
      tl = BuildLocal(steps);
      break;
    case TimelineSpec::kRing:
    case TimelineSpec::kPsSync:
      tl = BuildLockstep(spec, steps);
      break;
    case TimelineSpec::kPsAsync:
    case TimelineSpec::kPsSsp: {
      DS_ASSIGN_OR_RETURN(tl, Replay(spec, steps).Run());
      break;
    }
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("timeline: unknown kind ", static_cast<int>(spec.kind)));
  }
  SetWindow(spec, &tl);
  return tl;
}

}  // namespace distsim::model
