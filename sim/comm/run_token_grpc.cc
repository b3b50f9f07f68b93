// The gRPC half of run_token.h: the token as call metadata.
#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "sim/comm/run_token.h"

namespace distsim::comm {

void AttachRunToken(grpc::ClientContext* context, const std::string& token) {
  context->AddMetadata(kRunTokenMetadataKey, token);
}

absl::Status CheckRunToken(const grpc::ServerContextBase& context, absl::string_view token,
                           absl::string_view server) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(kRunTokenMetadataKey);
  if (it != metadata.end() &&
      SameRunToken(absl::string_view(it->second.data(), it->second.size()), token)) {
    return absl::OkStatus();
  }
  const absl::string_view why =
      it == metadata.end() ? "it carries no run token" : "its run token is not this run's";
  return absl::PermissionDeniedError(absl::StrCat(server, " refused a call from ", context.peer(),
                                                  ": ", why, " (another distsim run?)"));
}

}  // namespace distsim::comm
