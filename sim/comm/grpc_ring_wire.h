// The wire format of GrpcPeerLink's ring streams (service distsim.rpc.Ring, ring.proto): each
// message is a RingFrame, hand-encoded (ring_frame.h) so that the payload can point at the
// sender's floats and be read in place from the received slices. Internal to sim/comm (it
// includes gRPC).
#ifndef DISTSIM_SIM_COMM_GRPC_RING_WIRE_H_
#define DISTSIM_SIM_COMM_GRPC_RING_WIRE_H_

#include <grpcpp/support/slice.h>

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "sim/comm/frame_mailbox.h"
#include "sim/comm/peer_link.h"
#include "sim/comm/ring_frame.h"

namespace distsim::comm {

inline constexpr char kRingStreamMethod[] = "/distsim.rpc.Ring/Stream";
inline constexpr uint64_t kGrpcPrefixBytes = 5;  // gRPC's per-message compression flag + length

// Parses a received frame (ring_frame.h's DecodeRingFrame over the slices' bytes): fills the tag
// and the payload pieces (views into `slices`, which must outlive them). DataLoss for a
// malformed header or a payload above `max_frame_bytes`.
absl::Status DecodeRingFrame(const std::vector<grpc::Slice>& slices, int64_t max_frame_bytes,
                             FrameTag* tag, InboundFrame* frame);

}  // namespace distsim::comm

#endif  // DISTSIM_SIM_COMM_GRPC_RING_WIRE_H_
