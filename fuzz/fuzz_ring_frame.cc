// fuzz_ring_frame: the decoder of a received ring frame (sim/comm/ring_frame.h, the code behind
// GrpcPeerLink's DecodeRingFrame), on arbitrary bytes cut into pieces as gRPC's slices would cut
// them. The first byte says how: bits 0-5 the piece length (0: one piece), bit 6 an empty piece
// between pieces, bit 7 the payload limit (64 KiB, else 64 bytes); the frame is the rest.
// Contracts checked: a refusal is DataLoss and leaves the frame empty; an accepted frame's pieces
// lie inside the input, cover exactly its last frame.bytes bytes in order, and hold whole floats
// within the limit; its header re-encodes to a header that decodes to the same tag and length.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "fuzz/fuzz_check.h"
#include "sim/comm/ring_frame.h"

namespace {

namespace comm = distsim::comm;
using Bytes = std::span<const std::byte>;

std::vector<Bytes> Cut(Bytes frame, uint8_t how) {
  const size_t length = how & 0x3F;
  const bool empty_between = (how & 0x40) != 0;
  std::vector<Bytes> pieces;
  if (length == 0) {
    pieces.push_back(frame);
    return pieces;
  }
  for (size_t at = 0; at < frame.size(); at += length) {
    if (empty_between && !pieces.empty()) pieces.push_back(frame.subspan(at, 0));
    pieces.push_back(frame.subspan(at, std::min(length, frame.size() - at)));
  }
  return pieces;
}

// The accepted frame's tag and length survive an encode and a decode.
void CheckReencodes(const comm::FrameTag& tag, size_t payload_bytes, int64_t limit) {
  std::array<uint8_t, comm::kRingMaxHeaderBytes> header;
  const size_t header_bytes =
      comm::EncodeRingHeader(tag, static_cast<uint32_t>(payload_bytes), &header);
  std::vector<std::byte> frame(header_bytes + payload_bytes);
  std::memcpy(frame.data(), header.data(), header_bytes);
  const Bytes whole(frame);
  comm::FrameTag tag_again;
  comm::InboundFrame again;
  FUZZ_CHECK(
      comm::DecodeRingFrame(std::span<const Bytes>(&whole, 1), limit, &tag_again, &again).ok());
  FUZZ_CHECK(tag_again == tag && again.bytes == payload_bytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const Bytes frame(reinterpret_cast<const std::byte*>(data) + 1, size - 1);
  const int64_t limit = (data[0] & 0x80) != 0 ? 64 << 10 : 64;
  const std::vector<Bytes> pieces = Cut(frame, data[0]);
  comm::FrameTag tag;
  comm::InboundFrame decoded;
  const absl::Status status = comm::DecodeRingFrame(pieces, limit, &tag, &decoded);
  if (!status.ok()) {
    FUZZ_CHECK(absl::IsDataLoss(status));
    FUZZ_CHECK(decoded.pieces.empty() && decoded.bytes == 0);
    return 0;
  }
  FUZZ_CHECK(decoded.bytes % 4 == 0 && static_cast<int64_t>(decoded.bytes) <= limit);
  FUZZ_CHECK(decoded.bytes <= frame.size());
  const std::byte* expected = frame.data() + (frame.size() - decoded.bytes);
  size_t covered = 0;
  for (Bytes piece : decoded.pieces) {
    FUZZ_CHECK(!piece.empty());
    FUZZ_CHECK(piece.data() == expected + covered);
    covered += piece.size();
  }
  FUZZ_CHECK(covered == decoded.bytes);
  CheckReencodes(tag, decoded.bytes, limit);
  return 0;
}
