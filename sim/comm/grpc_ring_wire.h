// The wire format of GrpcPeerLink's ring streams (service distsim.rpc.Ring, ring.proto): each
// message is a RingFrame, hand-encoded so that the payload can point at the sender's floats and be
// read in place from the received slices. Internal to sim/comm (it includes gRPC).
#ifndef DISTSIM_SIM_COMM_GRPC_RING_WIRE_H_
#define DISTSIM_SIM_COMM_GRPC_RING_WIRE_H_

#include <grpcpp/support/slice.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "sim/comm/frame_mailbox.h"
#include "sim/comm/peer_link.h"

namespace distsim::comm {

inline constexpr char kRingStreamMethod[] = "/distsim.rpc.Ring/Stream";
inline constexpr uint64_t kGrpcPrefixBytes = 5;      // gRPC's per-message compression flag + length
inline constexpr size_t kRingFixedHeaderBytes = 19;  // fields 1-3 of RingFrame, fixed width
// Fields 1-3 plus field 4's tag and the varint of its length.
inline constexpr size_t kRingMaxHeaderBytes = kRingFixedHeaderBytes + 1 + 5;

// Hand-encodes RingFrame's fields 1-3 and field 4's tag and length into `out`; the payload
// follows. Returns the header length. Little-endian host assumed (x86, ARM).
size_t EncodeRingHeader(const FrameTag& tag, uint32_t payload_bytes,
                        std::array<uint8_t, kRingMaxHeaderBytes>* out);

// Parses a received frame: fills the tag and the payload pieces (views into `slices`, which must
// outlive them). DataLoss for a malformed header or a payload above `max_frame_bytes`.
absl::Status DecodeRingFrame(const std::vector<grpc::Slice>& slices, int64_t max_frame_bytes,
                             FrameTag* tag, InboundFrame* frame);

}  // namespace distsim::comm

#endif  // DISTSIM_SIM_COMM_GRPC_RING_WIRE_H_
