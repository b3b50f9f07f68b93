// Simulated network cards: real traffic between processes on this machine is slowed down to what
// the configured cluster's NICs would allow (docs/architecture.md, "The two clocks": shaping).
//
// Model. Every simulated host has one egress and one ingress token bucket, shared by ALL of that
// host's links and by every OS process that runs on that host (a worker and a server sharing a
// host; many workers sending to one server host). A bucket is kept as a "virtual finish time": the
// instant at which it has drained everything reserved so far. A transfer of b bytes from host f to
// host t goes through f's egress and t's ingress together:
//     start     = max(now, egress_free[f], ingress_free[t])
//     sent      = start + b / bytes_per_s           (and egress_free[f] = ingress_free[t] = sent)
//     delivered = sent + latency + u * jitter + lost * 2 * latency
// with u uniform in [0, 1) and `lost` packets each resent once after a round trip (a fast
// retransmit; a resent packet is not lost again). Buckets start empty (no burst credit). Traffic
// between two processes of one host does not cross a NIC: it is free and instantaneous.
//
// Fairness: a sender reserves a large message in quanta of at most kNicQuantumBytes and sleeps
// until each is on the wire before reserving further, so two senders into one ingress interleave
// their quanta and each gets about half of it, as TCP flows through one bottleneck roughly would.
//
// Sharing across processes: NicTable keeps the buckets either in this process's memory
// (CreateLocal: ranks as threads) or in a file mapped MAP_SHARED by every process of the run
// (CreateShared by the launcher, OpenShared by the others). All processes run on one machine, so
// absl::Now() (the realtime clock) is a clock they share, and times are stored as int64
// nanoseconds since the Unix epoch. A process-shared robust mutex in the mapping makes the update
// of a transfer's two buckets atomic; it is held for a few instructions, and a process killed
// while holding it does not wedge the others.
//
// NicPort is one process's handle on the table: the host it runs on, a seeded random stream for
// jitter and loss (deterministic given the seed), and counters of the bytes that crossed the NIC.
#ifndef DISTSIM_SIM_COMM_NIC_H_
#define DISTSIM_SIM_COMM_NIC_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace distsim::comm {

// Largest piece a sender reserves at once (see "Fairness" above).
inline constexpr uint64_t kNicQuantumBytes = 64 << 10;

// One simulated NIC (every host has the same).
struct NicModel {
  double bytes_per_s = 0;                         // each direction; 0 = unlimited
  absl::Duration latency = absl::ZeroDuration();  // one way
  absl::Duration jitter = absl::ZeroDuration();   // extra one-way delay, uniform in [0, jitter)
  double loss = 0;  // probability that one packet of packet_bytes is lost (and resent)
  int packet_bytes = 1500;
};

// InvalidArgument naming the field if `model` is out of range (negative rate, latency or jitter,
// loss outside [0, 1], packet_bytes < 1).
absl::Status ValidateNicModel(const NicModel& model);

struct TransferTimes {
  absl::Time sent;           // the last byte left the sender's NIC
  absl::Time delivered;      // the receiver may use the data
  bool crossed_nic = false;  // false: both ends on one host, nothing was reserved
};

// The buckets of every host. Thread-safe, and process-safe when shared.
class NicTable {
 public:
  // Buckets in this process's memory (anonymous mapping), for ranks that are threads. Checks
  // hosts >= 1 and a valid model (a bug otherwise).
  static std::shared_ptr<NicTable> CreateLocal(int hosts, const NicModel& model);

  // Creates (or replaces) the file `path` holding the model and empty buckets for `hosts` hosts,
  // and maps it. The file is written under a temporary name and renamed into place, so a process
  // opening `path` never sees it half-initialised. The caller removes the file when the run ends.
  // Errors: InvalidArgument (hosts < 1, bad model), Unknown/NotFound (I/O, naming the path).
  static absl::StatusOr<std::shared_ptr<NicTable>> CreateShared(const std::string& path, int hosts,
                                                                const NicModel& model);

  // Maps a file made by CreateShared (in any process) and reads the model from it. Errors:
  // NotFound (no such file), DataLoss (not a NIC table, another version, or truncated; names the
  // path), Unknown (other I/O errors).
  static absl::StatusOr<std::shared_ptr<NicTable>> OpenShared(const std::string& path);

  // Unmaps (the file stays).
  ~NicTable();
  NicTable(const NicTable&) = delete;
  NicTable& operator=(const NicTable&) = delete;

  int hosts() const { return hosts_; }
  const NicModel& model() const { return model_; }

  // Reserves `bytes` plus lost_packets * packet_bytes (resent) through from_host's egress and
  // to_host's ingress, starting no earlier than `now` (see the model above). Nothing is reserved
  // when from_host == to_host: sent = delivered = now, crossed_nic = false. Hosts must be in
  // [0, hosts()); jitter_u01 in [0, 1).
  TransferTimes Reserve(int from_host, int to_host, uint64_t bytes, absl::Time now,
                        double jitter_u01, int lost_packets);

  // sent + latency + jitter_u01 * jitter + lost_packets * 2 * latency.
  absl::Time DeliveredAt(absl::Time sent, double jitter_u01, int lost_packets) const;

  // The instants at which `host`'s buckets become free (the Unix epoch while never used). For
  // tests and diagnostics.
  absl::Time egress_free(int host) const;
  absl::Time ingress_free(int host) const;

 private:
  struct Header;
  NicTable(void* base, size_t size, std::string path);
  static size_t MappingBytes(int hosts);
  // Writes the header (model, robust mutex) and empty buckets into a zeroed mapping.
  static void Init(void* base, int hosts, const NicModel& model, bool process_shared);
  // Locks the mapping's mutex (recovering it if its holder died).
  void Lock() const;
  void Unlock() const;
  int64_t* free_ns() const;  // [0, hosts): egress; [hosts, 2 * hosts): ingress

  void* const base_;
  const size_t size_;
  const std::string path_;  // empty for a local table
  Header* header_;
  int hosts_ = 0;
  NicModel model_;
};

// One process's (or one simulated rank's) handle on the table. Thread-safe: several threads may
// Send and Receive at once.
class NicPort {
 public:
  // `table` is shared with the other ports; `my_host` in [0, table->hosts()); `seed` fixes the
  // jitter and loss draws.
  NicPort(std::shared_ptr<NicTable> table, int my_host, uint64_t seed);

  // Moves `bytes` from this host to `to_host`: reserves quanta of at most kNicQuantumBytes (the
  // message and its resent packets), each starting when the previous one is on the wire, and
  // sleeps until the last is on the wire (so the caller experiences the serialization time).
  // At most one quantum is reserved ahead of the one being sent, so oversleeping by less than a
  // quantum's time never leaves the bucket idle. Jitter and loss are drawn once per message.
  // Returns the last quantum's times with `delivered` including latency, jitter and the loss
  // delay; the caller waits for `delivered` (or makes the receiver wait). Same host: returns at
  // once, nothing drawn or counted. If `cancel` is given and becomes true, returns early (the
  // caller checks its flag; the times are then those of the last quantum reserved).
  TransferTimes Send(int to_host, uint64_t bytes, const std::atomic<bool>* cancel = nullptr);

  // The same for traffic from `from_host` to this host, as seen by the receiver (a client that
  // reads a reply): reserves from_host's egress and this host's ingress starting at `now`, and
  // sleeps through the quanta.
  TransferTimes Receive(int from_host, uint64_t bytes, absl::Time now,
                        const std::atomic<bool>* cancel = nullptr);

  // Sleeps until `t` (returns at once if it is past).
  static void SleepUntil(absl::Time t);
  // The same in slices of at most 5 ms, returning false as soon as `*cancel` is true (true once
  // `t` is reached). `cancel` may be null.
  static bool SleepUntil(absl::Time t, const std::atomic<bool>* cancel);

  // Message bytes that crossed the NIC (traffic to / from another host), not counting resends.
  uint64_t nic_bytes_sent() const { return nic_bytes_sent_.load(); }
  uint64_t nic_bytes_received() const { return nic_bytes_received_.load(); }
  // Bytes resent for lost packets, both directions.
  uint64_t nic_bytes_resent() const { return nic_bytes_resent_.load(); }

  int host() const { return my_host_; }
  NicTable& table() const { return *table_; }
  const NicModel& model() const { return table_->model(); }

 private:
  struct Draw {
    double jitter_u01 = 0;
    int lost_packets = 0;
  };
  Draw NextDraw(uint64_t bytes);
  TransferTimes Transfer(int from_host, int to_host, uint64_t bytes, absl::Time now,
                         const std::atomic<bool>* cancel, std::atomic<uint64_t>* counter);

  const std::shared_ptr<NicTable> table_;
  const int my_host_;
  absl::Mutex rng_mu_;
  uint64_t rng_state_ ABSL_GUARDED_BY(rng_mu_);
  std::atomic<uint64_t> nic_bytes_sent_{0};
  std::atomic<uint64_t> nic_bytes_received_{0};
  std::atomic<uint64_t> nic_bytes_resent_{0};
};

}  // namespace distsim::comm

#endif  // DISTSIM_SIM_COMM_NIC_H_
