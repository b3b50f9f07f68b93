#include "sim/comm/grpc_ps_wire.h"

#include <cstring>

#include "sim/base/check.h"

namespace distsim::comm {
namespace {

constexpr int kFramePrefix = 5;  // gRPC's per-message prefix: compressed flag + 4-byte length

}  // namespace

uint64_t WireBytes(const google::protobuf::Message& message) {
  return message.ByteSizeLong() + kFramePrefix;
}

std::span<float> ResizeAsFloats(std::string* data, int64_t n) {
  data->resize(n * sizeof(float));
  DS_CHECK(reinterpret_cast<uintptr_t>(data->data()) % alignof(float) == 0);
  return {reinterpret_cast<float*>(data->data()), static_cast<size_t>(n)};
}

}  // namespace distsim::comm
