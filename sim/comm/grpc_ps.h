// The parameter-server transport over gRPC (wire schema: proto/distsim/ps.proto).
//
// Server side: PsService adapts one PsShardHandler (a strategy::PsShard) to the ParameterServer
// service. The launcher registers service() on the server it builds (comm::StartServer) with
//     max_message_bytes = PsMaxMessageBytes(chunk_bytes), max_threads >= PsServerThreads(n).
// Pushes are client streams and pulls server streams of chunks of at most chunk_bytes, so no
// message ever holds a whole shard. A pull is a long poll of at most 1 s: a not-ready answer ends
// the call and the client re-issues it, so no call is held long and server Shutdown() completes
// within a second. Every call must carry the run token ("distsim-run-token" metadata); a wrong
// or missing one is refused with PERMISSION_DENIED.
//
// Client side: MakeGrpcPsClient connects to every shard (waiting for readiness with a short
// backoff) and talks to all shards in parallel, one thread per shard beyond the first.
#ifndef DISTSIM_SIM_COMM_GRPC_PS_H_
#define DISTSIM_SIM_COMM_GRPC_PS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sim/comm/ps_client.h"

namespace grpc {
class Service;
}  // namespace grpc

namespace distsim::comm {

// Message size limit, both directions, for chunks of `chunk_bytes`: the chunk plus headroom for
// the other fields.
int PsMaxMessageBytes(int64_t chunk_bytes);

// Threads a synchronous server hosting one PsService needs for `workers` workers (each worker has
// at most one call in flight per shard), plus gRPC's pollers.
int PsServerThreads(int workers);

// The ParameterServer service over one shard. Thread-safe (gRPC calls it from many threads).
class PsService {
 public:
  // `shard` is not owned and must outlive the service; `run_token` is this run's token.
  PsService(PsShardHandler* shard, std::string run_token);
  ~PsService();
  PsService(const PsService&) = delete;
  PsService& operator=(const PsService&) = delete;

  // For grpc::ServerBuilder::RegisterService / comm::StartServer. Owned by this object, which
  // must outlive the server.
  grpc::Service* service();

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
};

// Connects worker `options.worker` to every shard. Unavailable naming the shard and its address
// if one does not accept a connection within connect_timeout.
absl::StatusOr<std::unique_ptr<PsClient>> MakeGrpcPsClient(const PsClientOptions& options,
                                                           const GrpcPsClientOptions& grpc_options);

// For bench/ps_bench.cc: streams `bytes` (a multiple of 4) to the Discard call of the server at
// `address` in chunks of `chunk_bytes`, as a push would, and returns once the server has read
// them all: the bare-transport ceiling of a push.
absl::Status StreamToDiscard(const std::string& address, const std::string& run_token,
                             int64_t bytes, int64_t chunk_bytes);

}  // namespace distsim::comm

#endif  // DISTSIM_SIM_COMM_GRPC_PS_H_
