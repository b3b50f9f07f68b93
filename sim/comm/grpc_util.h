// gRPC plumbing every service and client in distsim shares: servers that bind loopback port 0 with
// port reuse off and a capped thread pool, channels that reconnect in milliseconds, deadlines,
// and the translation of gRPC statuses into distsim's (which name the peer). This header includes
// gRPC: it is internal to sim/comm, and to the tests and benchmarks that link gRPC themselves.
#ifndef DISTSIM_SIM_COMM_GRPC_UTIL_H_
#define DISTSIM_SIM_COMM_GRPC_UTIL_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "sim/comm/rpc_server.h"
#include "sim/comm/tls.h"

namespace distsim::comm {

// Call metadata naming the calling rank (a ring stream's sender, a parameter-server client's
// worker). The run token travels as run_token.h says.
inline constexpr char kRankMetadataKey[] = "distsim-rank";

struct StartedServer {
  std::unique_ptr<grpc::Server> server;
  int port = 0;         // the port actually bound
  std::string address;  // host:port to hand to peers
};

// Builds and starts a server hosting `services` (not owned; they must outlive the server).
// SO_REUSEPORT is disabled, so two servers never share a port silently. An error names the
// address that could not be bound.
absl::StatusOr<StartedServer> StartServer(const ServerOptions& options,
                                          const std::vector<grpc::Service*>& services);

// A channel to `address` whose reconnect back-off starts at 20 ms (gRPC's default is ~1 s, which
// turns every start-up race into seconds), with the given message size limit. With `tls` enabled
// it speaks TLS: it checks the server's certificate against tls's roots and the host of
// `address`, and presents tls's own certificate; otherwise plaintext.
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address, int max_message_bytes,
                                           const TlsFiles& tls);

// Blocks until the channel is connected or the timeout passes. The error (Unavailable) names
// `peer`, says why gRPC last failed to connect and, since a TLS mismatch looks the same as a
// peer that is not there, what both ends need (`tls` is the channel's own).
absl::Status WaitForReady(grpc::Channel& channel, std::chrono::milliseconds timeout,
                          const std::string& peer, const TlsFiles& tls);

// Why `channel` is not connected, as gRPC last saw it (e.g. a refused certificate), and the TLS
// advice WaitForReady gives: the tail of a "could not connect" message, starting with ": " or
// " (". Empty when the channel does connect. Makes one fail-fast call to a method nobody serves,
// with a 1 s deadline.
std::string WhyNotConnected(grpc::Channel& channel, const TlsFiles& tls);

// A deadline `seconds` from now, for ClientContext::set_deadline.
std::chrono::system_clock::time_point DeadlineIn(double seconds);

// gRPC status -> distsim status: UNAVAILABLE and DEADLINE_EXCEEDED become Unavailable ("peer X
// unreachable"), PERMISSION_DENIED stays (wrong run token), CANCELLED stays, others keep their
// code. `peer` names who was being talked to, e.g. "server 1 (127.0.0.1:40111)".
absl::Status FromGrpc(const grpc::Status& status, const std::string& peer, const std::string& call);

// distsim status -> gRPC status, for service handlers.
grpc::Status ToGrpc(const absl::Status& status);

}  // namespace distsim::comm

#endif  // DISTSIM_SIM_COMM_GRPC_UTIL_H_
