// The run token: every run draws a random token, and every connection between its processes
// carries it, so that two runs on one machine never talk to each other. Over gRPC the token
// travels as call metadata under one key (kRunTokenMetadataKey) for every service (coordinator,
// parameter server, ring streams); the TCP link sends it in its handshake and compares it with
// SameRunToken.
//
// The header names gRPC types only by forward declaration: it includes no gRPC header.
#ifndef DISTSIM_SIM_COMM_RUN_TOKEN_H_
#define DISTSIM_SIM_COMM_RUN_TOKEN_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace grpc {
class ClientContext;
class ServerContextBase;
}  // namespace grpc

namespace distsim::comm {

// The metadata key of the run token on every gRPC call distsim makes.
inline constexpr char kRunTokenMetadataKey[] = "distsim-run-token";

// True if the token a peer presented is this run's.
bool SameRunToken(absl::string_view presented, absl::string_view expected);

// Attaches `token` to a call before it starts.
void AttachRunToken(grpc::ClientContext* context, const std::string& token);

// OK if the call in `context` carries `token`; otherwise PermissionDenied saying that `server`
// (e.g. "parameter server shard 2") refused a call from the calling peer because its run token
// is missing or not this run's. Service handlers turn it into their gRPC status (ToGrpc).
absl::Status CheckRunToken(const grpc::ServerContextBase& context, absl::string_view token,
                           absl::string_view server);

}  // namespace distsim::comm

#endif  // DISTSIM_SIM_COMM_RUN_TOKEN_H_
