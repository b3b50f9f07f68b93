// The modelled timeline of a recorded run: what the configured cluster would have taken for the
// steps the workers really did (docs/architecture.md, "The two clocks": the modelled one beside
// the measured one).
//
// Compute comes from the records (model_compute_s + model_pause_s: the step's compute on the
// simulated instance, plus any injected pause); communication from the cost model (cost_model.h)
// and the spec's placement of processes on hosts. Two ways to put steps on one clock:
//  * lockstep (ring, PS SYNC): step i ends when its slowest participant has computed and the
//    step's phases are over; a worker waits for the slowest.
//  * replayed (PS ASYNC, SSP): the pulls and pushes of all workers are replayed in the order the
//    servers really saw them, each transfer queueing for its hosts' NIC directions; SSP holds a
//    pull back until the slowest running worker is within `staleness` clocks.
// Pure functions; thread-compatible.
#ifndef DISTSIM_SIM_MODEL_TIMELINE_H_
#define DISTSIM_SIM_MODEL_TIMELINE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "distsim/cluster.pb.h"
#include "sim/model/cost_model.h"

namespace distsim::model {

// Timeline::order of each kind.
inline constexpr char kOrderBackToBack[] = "back to back";
inline constexpr char kOrderLockstep[] = "lockstep";
inline constexpr char kOrderReplayed[] =
    "replayed in the order the servers really received the pushes";
inline constexpr char kOrderShared[] =
    "replayed at each worker's modelled pace up to the shared global step";

struct TimelineSpec {
  enum Kind { kLocal, kRing, kPsSync, kPsAsync, kPsSsp };
  Kind kind = kLocal;
  uint32_t staleness = 0;           // kPsSsp: the bound s
  std::vector<int> worker_host;     // by worker rank; one per worker of `steps`
  std::vector<int> server_host;     // PS: by server rank
  std::vector<double> shard_bytes;  // PS: payload bytes of each server's shard (push = pull)
  double model_bytes = 0;           // ring: S
  std::vector<bool> worker_lost;    // workers that died (empty: none); they end early
  // When each worker starts, seconds (empty: all at 0): TensorFlow's start stagger. Replays
  // shift a worker's first step to its start; lockstep runs start when the last worker does.
  // Either way the wait counts as the worker's waiting. (TensorFlow would also let the early
  // workers take more of a shared global step; the replay keeps each worker's real steps.)
  std::vector<double> worker_start_s;
  // kPsAsync, kPsSsp: TensorFlow's shared global step. 0: each worker does the steps it recorded,
  // in the real order. N > 0: the run ends when the servers have applied N pushes in all, on the
  // modelled clock; each live worker steps at its modelled pace, taking its recorded steps in
  // turn again once they run out (a lost worker stops after its own), and events go in modelled
  // order. Then a worker the modelled cluster makes faster does more of the steps, as it would.
  uint64_t global_steps = 0;
  Network net;
};

struct Timeline {
  double seconds = 0;                // first step to last, all workers
  std::vector<double> worker_end_s;  // when each worker finished its last step
  std::vector<uint64_t> worker_steps;
  // Summed over workers; per worker, compute + communication + waiting = its end time.
  double compute_s = 0;
  double communication_s = 0;      // pulls, pushes, allreduce (NIC queueing included)
  double waiting_s = 0;            // for the slowest (lockstep) or the SSP bound
  std::vector<double> step_end_s;  // lockstep kinds and local: when step i + 1 ended
  std::string order;               // one of kOrder*
  std::vector<std::vector<double>> worker_step_end_s;  // when each step of each worker ended
  // The steady state: from the start until the first worker that ran to the end (not lost; in
  // lockstep, not stopped early) finished, and the steps all workers completed within it. A
  // replay keeps the real run's order, and the real run may have let a worker the modelled
  // cluster would slow down do more steps than its modelled speed allows; counting only this
  // window keeps those extra steps out of the throughput. Lockstep and local: the whole run.
  double window_s = 0;
  uint64_t window_steps = 0;
};

// Builds the timeline of `steps`: steps[w] holds worker w's records, steps 1, 2, 3, ... in order
// (a worker that died early simply has fewer). Rules per kind:
//  * kLocal: each worker's steps back to back, no communication.
//  * kRing, kPsSync: step i involves the workers that have a step i (those that died earlier
//    drop out) and ends at end(i - 1) + [PS: pull phase] + max compute + [ring: allreduce;
//    PS: push phase]; a worker waits (max compute - own compute).
//  * kPsAsync, kPsSsp: a discrete-event replay. Each step is a pull (at real time pull_start_s)
//    then a push (at push_start_s + push_s, when the servers had applied it: the order in which
//    they really received the pushes); events of all workers are taken in real-time order (ties:
//    by worker, then pull before push), a worker's own events always in program order. Each
//    host's egress and ingress is a calendar of busy intervals; a transfer between two hosts
//    takes the earliest gap, at or after its worker is ready, free on both, holds them for
//    bytes / bytes_per_s, and arrives alpha later; messages of at most 64 KiB keep calendars of
//    their own (TCP interleaves them with bulk transfers; they queue only behind each other). A
//    pull's request takes alpha before its reply
//    can start, and a push waits alpha for its ack; same-host transfers arrive at once. A pull is
//    done at its last shard's arrival, the worker then computes; its push is done likewise. SSP:
//    the pull of a worker at clock c (0-based) first waits for push number c - s of every other
//    worker that has one (a worker with fewer steps, e.g. one that died, holds nobody back).
// InvalidArgument for inconsistent input (worker or host counts, negative hosts, bytes or
// compute, steps out of order), naming the field, worker and step.
absl::StatusOr<Timeline> BuildTimeline(const TimelineSpec& spec,
                                       const std::vector<std::vector<StepRecord>>& steps);

}  // namespace distsim::model

#endif  // DISTSIM_SIM_MODEL_TIMELINE_H_
