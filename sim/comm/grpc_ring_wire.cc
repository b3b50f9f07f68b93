#include "sim/comm/grpc_ring_wire.h"

#include <cstddef>
#include <span>

#include "absl/container/inlined_vector.h"

namespace distsim::comm {

absl::Status DecodeRingFrame(const std::vector<grpc::Slice>& slices, int64_t max_frame_bytes,
                             FrameTag* tag, InboundFrame* frame) {
  // A frame arrives in a few slices (the header's and the payload's): no allocation for them.
  absl::InlinedVector<std::span<const std::byte>, 4> pieces;
  for (const grpc::Slice& s : slices) {
    pieces.emplace_back(reinterpret_cast<const std::byte*>(s.begin()), s.size());
  }
  return DecodeRingFrame(std::span<const std::span<const std::byte>>(pieces.data(), pieces.size()),
                         max_frame_bytes, tag, frame);
}

}  // namespace distsim::comm
