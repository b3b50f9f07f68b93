#include "sim/comm/ring_frame.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace distsim::comm {

size_t EncodeRingHeader(const FrameTag& tag, uint32_t payload_bytes,
                        std::array<uint8_t, kRingMaxHeaderBytes>* out) {
  uint8_t* p = out->data();
  p[0] = 0x0D;  // field 1, fixed32
  std::memcpy(p + 1, &tag.op, 4);
  p[5] = 0x11;  // field 2, fixed64
  std::memcpy(p + 6, &tag.step, 8);
  p[14] = 0x1D;  // field 3, fixed32
  std::memcpy(p + 15, &tag.segment, 4);
  p[19] = 0x22;  // field 4, length-delimited
  size_t n = 20;
  uint32_t v = payload_bytes;
  while (v >= 0x80) {
    p[n++] = static_cast<uint8_t>(v | 0x80);
    v >>= 7;
  }
  p[n++] = static_cast<uint8_t>(v);
  return n;
}

absl::Status DecodeRingFrame(std::span<const std::span<const std::byte>> pieces,
                             int64_t max_frame_bytes, FrameTag* tag, InboundFrame* frame) {
  std::array<uint8_t, kRingMaxHeaderBytes> head{};
  size_t have = 0, total = 0;
  for (std::span<const std::byte> piece : pieces) {
    total += piece.size();
    const size_t take = std::min(piece.size(), head.size() - have);
    if (take > 0) std::memcpy(head.data() + have, piece.data(), take);
    have += take;
  }
  if (have < 21 || head[0] != 0x0D || head[5] != 0x11 || head[14] != 0x1D || head[19] != 0x22) {
    return absl::DataLossError("malformed ring frame header");
  }
  std::memcpy(&tag->op, head.data() + 1, 4);
  std::memcpy(&tag->step, head.data() + 6, 8);
  std::memcpy(&tag->segment, head.data() + 15, 4);
  uint64_t length = 0;
  size_t n = 20;
  for (int shift = 0;; shift += 7) {
    if (n >= have || shift > 28) return absl::DataLossError("malformed ring frame length");
    length |= static_cast<uint64_t>(head[n] & 0x7F) << shift;
    if ((head[n++] & 0x80) == 0) break;
  }
  if (length + n != total || length % sizeof(float) != 0 ||
      static_cast<int64_t>(length) > max_frame_bytes) {
    return absl::DataLossError(absl::StrCat("ring frame of ", total,
                                            " bytes declares a payload of ", length, " (limit ",
                                            max_frame_bytes, ")"));
  }
  size_t skip = n;
  for (std::span<const std::byte> piece : pieces) {
    if (skip >= piece.size()) {
      skip -= piece.size();
      continue;
    }
    frame->pieces.push_back(piece.subspan(skip));
    skip = 0;
  }
  frame->bytes = length;
  return absl::OkStatus();
}

}  // namespace distsim::comm
