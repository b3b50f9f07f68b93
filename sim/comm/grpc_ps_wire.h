// What the two halves of the gRPC parameter-server transport (grpc_ps_service.cc and
// grpc_ps_client.cc) share about ps.proto's messages: their cost on the wire, views of their
// float payloads (AsFloats, from ps_push_stream.h; ResizeAsFloats), and a pool of chunk-sized
// messages. Internal to sim/comm (it includes protobuf and the generated ps.pb.h).
#ifndef DISTSIM_SIM_COMM_GRPC_PS_WIRE_H_
#define DISTSIM_SIM_COMM_GRPC_PS_WIRE_H_

#include <google/protobuf/message.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "sim/comm/ps_push_stream.h"

namespace distsim::comm {

// The longest long poll a pull may ask for; longer requests are cut to it.
inline constexpr uint32_t kMaxPollMs = 1000;

// What `message` costs on the wire: its bytes plus gRPC's 5-byte message prefix.
uint64_t WireBytes(const google::protobuf::Message& message);

// Resizes a `bytes` field to `n` floats and returns them as a writable view.
std::span<float> ResizeAsFloats(std::string* data, int64_t n);

// Chunk-sized messages reused from call to call, so that steady-state pushes and pulls do not
// allocate (and first-touch) megabytes. Thread-safe; keeps at most 8 idle.
template <typename Message>
class MessagePool {
 public:
  std::unique_ptr<Message> Take() {
    absl::MutexLock lock(&mu_);
    if (free_.empty()) return std::make_unique<Message>();
    std::unique_ptr<Message> message = std::move(free_.back());
    free_.pop_back();
    return message;
  }
  void Give(std::unique_ptr<Message> message) {
    if (message == nullptr) return;
    absl::MutexLock lock(&mu_);
    if (free_.size() < kMaxFree) free_.push_back(std::move(message));
  }

 private:
  static constexpr size_t kMaxFree = 8;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<Message>> free_ ABSL_GUARDED_BY(mu_);
};

}  // namespace distsim::comm

#endif  // DISTSIM_SIM_COMM_GRPC_PS_WIRE_H_
