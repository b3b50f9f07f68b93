// The alpha-beta cost model of the simulated cluster (docs/architecture.md, "The two clocks" and
// "Metrics").
//
// Every simulated host has one NIC, full duplex: one egress and one ingress direction of
// `bytes_per_s` each, shared by every process on that host. A message costs alpha (latency, paid
// once, does not occupy the NIC) plus bytes / bytes_per_s on the NIC directions it crosses.
// Traffic between two processes on the same host never touches a NIC and is free.
//
// The unit of cost is a bulk-synchronous phase (PhaseSeconds): transfers that start together and
// end when the busiest NIC direction has drained. The strategy costs (ring allreduce, a
// parameter-server push or pull) are built from phases, and so are Predict and the lockstep
// timeline (timeline.h), so the prediction and the modelled clock of a run cannot disagree about
// what one step costs. Pure functions; thread-compatible.
#ifndef DISTSIM_SIM_MODEL_COST_MODEL_H_
#define DISTSIM_SIM_MODEL_COST_MODEL_H_

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "distsim/result.pb.h"

namespace distsim::model {

// The NIC of every simulated host.
struct Network {
  double alpha_s = 0;      // latency per message
  double bytes_per_s = 0;  // each direction; 0 = infinite
  // Packet loss: each packet of packet_bytes is lost with probability `loss`, independently,
  // and sent again once after a round trip (loss_round_trip_s), which delays its message only:
  // the NIC stays free for others meanwhile (the shaped transport does the same, comm/nic.h).
  double loss = 0;
  double loss_round_trip_s = 0;
  double packet_bytes = 1500;
};

// The expected delay lost packets add to one message of `bytes`: its packets x loss x a round
// trip. What a message alone pays on average (the asynchronous replay's messages).
double MeanLossDelay(double bytes, const Network& net);

// The expected LARGEST such delay among `messages` messages of `bytes` each: a round trip x
// E[max of `messages` independent draws of Binomial(packets, loss)]. A synchronous phase waits
// for its slowest message, so this, not the mean, is what the phase pays; it grows with the
// number of messages (for 1 packet at loss 1/2: 0.5 round trips for one message, 0.75 for two).
double ExpectedMaxLossDelay(double bytes, int messages, const Network& net);

// One message of a phase, between simulated hosts (>= 0).
struct Transfer {
  int from_host = 0;
  int to_host = 0;
  double bytes = 0;
};

// Seconds a NIC direction needs for `bytes`: 0 with infinite bandwidth.
double WireSeconds(double bytes, const Network& net);

// A bulk-synchronous phase: every transfer starts at once, and the phase lasts
//   alpha + max over host directions (egress of h: bytes of the transfers from h to other hosts;
//   ingress of h likewise) / bytes_per_s,
// or, if longer, alpha + the slowest message: over each size of message in the phase, its own
// bytes / bytes_per_s plus ExpectedMaxLossDelay over the messages of that size.
// 0 if no transfer crosses a NIC. A crossing transfer of 0 bytes still costs alpha (a message).
double PhaseSeconds(std::span<const Transfer> transfers, const Network& net);

// Ring allreduce of `model_bytes` over the ranks, rank r on host rank_host[r]: reduce-scatter then
// allgather, 2(n - 1) phases in each of which rank r sends model_bytes / n to rank (r + 1) % n.
// With one host per rank: 2(n - 1) alpha + 2(n - 1) / n * S / bytes_per_s (Thakur et al. 2005).
// 0 for n <= 1.
double RingAllreduceSeconds(const std::vector<int>& rank_host, double model_bytes,
                            const Network& net);

// One parameter-server phase: every worker sends shard_bytes[j] to server j (push) or receives it
// from server j (pull), all at once. Shards of 0 bytes send no message. With k dedicated servers of
// S / k each, the busiest server NIC direction carries n S / k, each worker's carries S. Each is
// an RPC, a pull a request before its reply and a push an ack after its chunks, so a phase that
// crosses a NIC costs 2 alpha + the busiest direction's bytes / bytes_per_s (the reference's naive
// PS, 2 alpha + 2 p n beta per step, counts one alpha per phase: distsim's workers really wait for
// the request and the ack).
// Precondition: server_host.size() == shard_bytes.size().
double PsPhaseSeconds(const std::vector<int>& worker_host, const std::vector<int>& server_host,
                      const std::vector<double>& shard_bytes, bool push, const Network& net);

// What `distsim predict` knows about a configuration.
struct PredictInput {
  double compute_s = 0;    // per worker step at its batch, on the instance (> 0)
  int batch = 0;           // per worker (> 0)
  double model_bytes = 0;  // S: gradient (= parameter) bytes of one step
  Network net;
  double price_per_host_hour = 0;
  int64_t examples_per_epoch = 0;
};

enum class PredictStrategy { kRing, kPsSync, kPsAsync };

// The analytic step time of `workers` = n >= 1 workers on the cluster of `in`.
// Hosts: ring, n (one per rank). Parameter server DEDICATED (colocated false): k = `servers` >= 1
// server hosts 0..k-1 and n worker hosts k..k+n-1. COLOCATED: n hosts, server i and worker i on
// host i, so k = n whatever `servers` says (the row reports k = n). Shards are balanced, S / k.
//  * ring:     step = compute + RingAllreduceSeconds.
//  * PS SYNC:  step = pull phase + compute + push phase, all workers at once.
//  * PS ASYNC: a worker alone takes t_alone = pull + compute + push (no contention); the NICs cap
//    the rate of updates at U = n * bytes_per_s / (the busiest host direction's bytes when every
//    worker does one push and one pull), i.e. k B / S dedicated and n^2 B / (2 (n - 1) S)
//    colocated (a host's NIC carries its server's replies and its worker's own push). Throughput
//    = min(n / t_alone, U) updates/s; step = n / throughput (the mean time between one worker's
//    updates). That is the best case, workers spread out; PredictRow.step_s_in_step is the worst,
//    workers in step: pull phase + compute + push phase of all at once.
// Row: communication = step - compute; samples/s = n * batch / step; efficiency = samples/s over
// n times one worker's samples/s WITHOUT communication (= compute / step), the DDP benchmark's
// baseline; epoch = examples_per_epoch / samples/s; cost per epoch = hosts x price x epoch / 3600.
// Bottleneck, first that holds: "compute" (compute >= communication); "server NIC" (ASYNC capped
// by the servers' NICs); "latency" (the alpha part is more than half the communication);
// "server NIC" (a server's NIC direction carries more per phase than any worker's); "worker NIC".
// Preconditions (checked): workers >= 1, servers >= 1 for dedicated PS, compute_s > 0, batch > 0.
PredictRow Predict(PredictStrategy strategy, int workers, int servers, bool colocated,
                   const PredictInput& in);

// Least-squares fit of seconds = alpha + bytes * beta over message samples (bytes, seconds).
// InvalidArgument for fewer than 2 distinct sizes, or a negative or non-finite sample.
// alpha < 0 is clamped to 0 (and beta refitted through the origin); beta <= 0 means the sizes did
// not matter: infinite bandwidth (bytes_per_s = 0) and alpha = the mean time. If rel_rms_error
// is not null it receives the RMS over samples with seconds > 0 of (fitted - measured) / measured.
absl::StatusOr<Network> FitAlphaBeta(std::span<const std::pair<double, double>> bytes_and_seconds,
                                     double* rel_rms_error);

}  // namespace distsim::model

#endif  // DISTSIM_SIM_MODEL_COST_MODEL_H_
