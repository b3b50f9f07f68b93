// The gRPC-free part of run_token.h (the TCP handshake's comparison); the gRPC metadata helpers
// are in run_token_grpc.cc.
#include "sim/comm/run_token.h"

namespace distsim::comm {

bool SameRunToken(absl::string_view presented, absl::string_view expected) {
  return presented == expected;
}

}  // namespace distsim::comm
