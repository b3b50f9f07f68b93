// The parameter-server transport over gRPC (wire schema: proto/distsim/ps.proto).
//
// Server side: PsService adapts one PsShardHandler (a strategy::PsShard) to the ParameterServer
// service. The launcher registers service() on the server it builds (comm::StartServer) with
//     max_message_bytes = PsMaxMessageBytes(chunk_bytes), max_threads >= PsServerThreads(n).
// Pushes are client streams and pulls server streams of chunks of at most chunk_bytes, so no
// message ever holds a whole shard. Every method is a gRPC callback (reactor) method: the service
// takes no thread of the server's synchronous pool, and its reactions do only bounded work on
// gRPC's callback threads. A pull is a long poll of at most 1 s: one that is not ready is parked
// (it holds no thread) until the shard advances (PsShardHandler::SetChangeListener), and one
// notifier thread owned by the service answers parked pulls as they become ready, fail (abort),
// or reach the end of their poll ("not ready": the client re-issues it). So n waiting workers cost
// no server threads, no call is held long, and a cancelled call or a server Shutdown() finishes
// every parked pull at once (CANCELLED). Every call must carry the run token (run_token.h); a
// wrong or missing one is refused with PERMISSION_DENIED.
//
// Client side: MakeGrpcPsClient connects to every shard (waiting for readiness with a short
// backoff) and talks to all shards in parallel, one thread per shard beyond the first.
//
// Shaping (optional: GrpcPsClientOptions::nic): the client alone shapes, for both directions,
// through the simulated NICs of its host and the shards' hosts (sim/comm/nic.h); the server is
// unchanged. The buckets are shared by every process of the run, so the contention of many workers
// on a server host's NIC is still modelled. A push passes each chunk through the NICs before
// writing it and returns no earlier than the last chunk's delivery plus one latency (the ack). A
// pull passes its request through the NICs and waits for its delivery before issuing it, then
// passes each message read through the shard host's egress and this host's ingress and returns
// no earlier than the last one's delivery. Traffic with a shard on this client's host is not
// shaped.
#ifndef DISTSIM_SIM_COMM_GRPC_PS_H_
#define DISTSIM_SIM_COMM_GRPC_PS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sim/comm/nic.h"
#include "sim/comm/ps_client.h"
#include "sim/comm/tls.h"

namespace grpc {
class Service;
}  // namespace grpc

namespace distsim::comm {

// Message size limit, both directions, for chunks of `chunk_bytes`: the chunk plus headroom for
// the other fields.
int PsMaxMessageBytes(int64_t chunk_bytes);

// The thread quota (ServerOptions::max_threads) a server hosting one PsService needs for `workers`
// workers. The service is callback-based and takes none of it, pushing or waiting, so this is a
// small constant, independent of `workers` (kept as a function for the callers that size servers).
int PsServerThreads(int workers);

// The ParameterServer service over one shard. Thread-safe (gRPC calls it from many threads).
class PsService {
 public:
  // `shard` is not owned and must outlive the service; `run_token` is this run's token. Registers
  // the service as the shard's change listener (removed by the destructor) and starts the
  // notifier thread. The server hosting service() must be shut down before the service is
  // destroyed.
  PsService(PsShardHandler* shard, std::string run_token);
  ~PsService();
  PsService(const PsService&) = delete;
  PsService& operator=(const PsService&) = delete;

  // For grpc::ServerBuilder::RegisterService / comm::StartServer. Owned by this object, which
  // must outlive the server.
  grpc::Service* service();

  // Pulls parked right now: not ready, waiting for the shard to advance. For tests and metrics.
  int num_waiting_pulls() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

struct GrpcPsClientOptions {
  std::vector<std::string> addresses;  // host:port of every shard, index = shard id
  std::string run_token;
  absl::Duration connect_timeout = absl::Seconds(10);  // per shard, at construction
  // Deadline of each call beyond the long poll it may spend waiting (a push or a pull moves at
  // most one shard, so this bounds a transfer, not a wait).
  absl::Duration rpc_timeout = absl::Seconds(60);
  // Simulated NIC of this worker's host (nullptr: not shaped). May be shared with other clients
  // and links of the process.
  std::shared_ptr<NicPort> nic = nullptr;
  // With nic: this worker's simulated host (must equal nic->host()) and every shard's
  // (addresses.size() entries, in [0, nic->table().hosts())).
  int my_host = 0;
  std::vector<int> shard_host = {};
  // TLS to the shards (their servers must serve it too); empty: plaintext.
  TlsFiles tls = {};
};

// With a NIC: my_host is the NIC port's, and shard_host lists a valid host for every shard.
absl::Status CheckPsClientShaping(const PsClientOptions& options,
                                  const GrpcPsClientOptions& grpc_options);

// Connects worker `options.worker` to every shard. Unavailable naming the shard and its address
// if one does not accept a connection within connect_timeout; InvalidArgument if the shaping
// options do not fit (shard_host size or range, my_host != nic->host()).
absl::StatusOr<std::unique_ptr<PsClient>> MakeGrpcPsClient(const PsClientOptions& options,
                                                           const GrpcPsClientOptions& grpc_options);

// For bench/ps_bench.cc: streams `bytes` (a multiple of 4) to the Discard call of the server at
// `address` in chunks of `chunk_bytes`, as a push would, and returns once the server has read
// them all: the bare-transport ceiling of a push.
absl::Status StreamToDiscard(const std::string& address, const std::string& run_token,
                             int64_t bytes, int64_t chunk_bytes);

}  // namespace distsim::comm

#endif  // DISTSIM_SIM_COMM_GRPC_PS_H_
