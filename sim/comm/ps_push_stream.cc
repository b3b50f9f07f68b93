#include "sim/comm/ps_push_stream.h"

#include <cstring>

#include "absl/strings/str_cat.h"

namespace distsim::comm {

std::span<const float> AsFloats(std::string_view data, std::vector<float>* scratch) {
  const size_t n = data.size() / sizeof(float);
  if (reinterpret_cast<uintptr_t>(data.data()) % alignof(float) == 0) {
    return {reinterpret_cast<const float*>(data.data()), n};
  }
  scratch->resize(n);
  std::memcpy(scratch->data(), data.data(), n * sizeof(float));
  return *scratch;
}

absl::Status PushStream::Add(const PushChunkFields& message) {
  if (!any_) {
    any_ = true;
    worker_ = message.worker;
    clock_ = message.clock;
    pulled_version_ = message.pulled_version;
  }
  if (message.data.empty()) return absl::OkStatus();  // header of a push to an empty shard
  if (message.data.size() % sizeof(float) != 0 || message.worker != worker_ ||
      message.clock != clock_) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed push chunk ", message.chunk, " from worker ", message.worker));
  }
  return shard_->PushChunk(static_cast<int>(worker_), clock_, static_cast<int>(message.chunk),
                           AsFloats(message.data, &scratch_));
}

absl::StatusOr<PushAck> PushStream::Finish() {
  if (!any_) return absl::InvalidArgumentError("push without any message");
  return shard_->FinishPush(static_cast<int>(worker_), clock_, pulled_version_);
}

}  // namespace distsim::comm
