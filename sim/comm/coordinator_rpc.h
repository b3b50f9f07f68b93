// The coordinator's RPC surface without gRPC types: a handler interface the coordinator logic
// (sim/node) implements, the service that adapts gRPC calls onto it, and the client every other
// process uses. Every call carries the run token (sim/comm/run_token.h); a call with another token
// is refused (PermissionDenied), so two runs on one machine never talk to each other.
#ifndef DISTSIM_SIM_COMM_COORDINATOR_RPC_H_
#define DISTSIM_SIM_COMM_COORDINATOR_RPC_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "distsim/cluster.pb.h"
#include "sim/comm/tls.h"

namespace grpc {
class Service;
}  // namespace grpc

namespace distsim::comm {

enum class Command { kContinue, kAbort, kShutdown };

struct HeartbeatAnswer {
  Command command = Command::kContinue;
  std::string reason;                  // why, for kAbort
  std::vector<uint32_t> lost_workers;  // workers the run goes on without (CONTINUE)
};

struct HeartbeatData {
  ProcessInfo::Role role = ProcessInfo::ROLE_UNSPECIFIED;
  uint32_t rank = 0;
  uint64_t step = 0;  // last completed step (workers)
  std::vector<StepRecord> steps;
  std::vector<EvalRecord> evals;
  // A worker process started alone after its predecessor died (ASYNC, SSP): it went on from
  // step resumed_from_step + 1, doing steps_redone steps again that a cut-off push left half
  // applied. Sent with every heartbeat of that process.
  bool rejoined = false;
  uint64_t resumed_from_step = 0;
  uint64_t steps_redone = 0;
};

// The coordinator's logic. Called from gRPC threads: implementations are thread-safe. No method
// blocks longer than the max_wait it is given.
class CoordinatorHandler {
 public:
  virtual ~CoordinatorHandler() = default;
  virtual absl::Status Register(const ProcessInfo& process) = 0;
  // The peer table once every expected process registered; if it is not complete, waits up to
  // `max_wait` for it and returns nullopt if it still is not.
  virtual std::optional<PeerTable> WaitForPeers(absl::Duration max_wait) = 0;
  virtual HeartbeatAnswer Heartbeat(HeartbeatData data) = 0;
  virtual absl::Status Finish(const ProcessSummary& summary) = 0;
};

// Adapts gRPC calls onto a handler (not owned; must outlive the service).
class CoordinatorService {
 public:
  CoordinatorService(CoordinatorHandler* handler, std::string token);
  ~CoordinatorService();
  grpc::Service* service();  // register it on the process's ProcessServer

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// A process's connection to the coordinator. Thread-safe (the heartbeat thread and the main
// thread share it). Every call has a deadline of rpc_deadline_s. Over TLS when `tls` is enabled
// (the coordinator's server must then serve TLS too), else plaintext.
class CoordinatorClient {
 public:
  CoordinatorClient(const std::string& address, std::string token, double rpc_deadline_s,
                    const TlsFiles& tls);
  ~CoordinatorClient();

  // Waits until the coordinator accepts connections; Unavailable naming it otherwise.
  absl::Status WaitUntilReachable(absl::Duration timeout);
  absl::Status Register(const ProcessInfo& process);
  // Re-issues long polls until the table is complete or `timeout` passes (Unavailable then,
  // saying which processes never registered is the coordinator's job in its own error).
  absl::StatusOr<PeerTable> WaitForPeers(const ProcessInfo& self, absl::Duration timeout);
  absl::StatusOr<HeartbeatAnswer> Heartbeat(const HeartbeatData& data);
  absl::Status Finish(const ProcessSummary& summary);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace distsim::comm

#endif  // DISTSIM_SIM_COMM_COORDINATOR_RPC_H_
