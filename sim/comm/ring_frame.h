// The bytes of one ring frame (ring.proto's RingFrame as GrpcPeerLink hand-encodes it): the
// header encoder of the sending side and the decoder of the receiving side, over plain bytes.
// No gRPC here: grpc_ring_wire.h hands gRPC's slices to these functions, and the fuzz target
// fuzz/fuzz_ring_frame.cc feeds them arbitrary bytes.
//
// Layout: a fixed 19-byte prefix holding fields 1-3 (tag 0x0D, op as fixed32; tag 0x11, step as
// fixed64; tag 0x1D, segment as fixed32), then field 4's tag 0x22 and the varint length of the
// payload (at most 5 bytes), then the payload: float32 values, little-endian.
#ifndef DISTSIM_SIM_COMM_RING_FRAME_H_
#define DISTSIM_SIM_COMM_RING_FRAME_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "absl/status/status.h"
#include "sim/comm/frame_mailbox.h"
#include "sim/comm/peer_link.h"

namespace distsim::comm {

inline constexpr size_t kRingFixedHeaderBytes = 19;  // fields 1-3 of RingFrame, fixed width
// Fields 1-3 plus field 4's tag and the varint of its length.
inline constexpr size_t kRingMaxHeaderBytes = kRingFixedHeaderBytes + 1 + 5;

// Hand-encodes RingFrame's fields 1-3 and field 4's tag and length into `out`; the payload
// follows. Returns the header length. Little-endian host assumed (x86, ARM).
size_t EncodeRingHeader(const FrameTag& tag, uint32_t payload_bytes,
                        std::array<uint8_t, kRingMaxHeaderBytes>* out);

// Parses a received frame whose bytes are the concatenation of `pieces` (any number, any sizes,
// empty ones allowed): fills `tag` and appends to frame->pieces views into `pieces` that cover
// the payload exactly (the caller keeps their memory alive), and sets frame->bytes.
// DataLoss "malformed ring frame header" when the frame is shorter than 21 bytes or a field tag
// is wrong; "malformed ring frame length" for a length varint that does not end within 5 bytes;
// and a message with both sizes when the payload length differs from the bytes after the
// header, is not a multiple of 4, or exceeds `max_frame_bytes`. On error `frame` is unchanged
// (`tag` may have been written).
absl::Status DecodeRingFrame(std::span<const std::span<const std::byte>> pieces,
                             int64_t max_frame_bytes, FrameTag* tag, InboundFrame* frame);

}  // namespace distsim::comm

#endif  // DISTSIM_SIM_COMM_RING_FRAME_H_
