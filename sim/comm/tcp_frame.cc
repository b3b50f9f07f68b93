#include "sim/comm/tcp_frame.h"

#include <cstring>

#include "sim/comm/run_token.h"

namespace distsim::comm {

void EncodeTcpHello(int rank, uint32_t token_bytes, uint8_t (&out)[kTcpHelloBytes]) {
  const uint32_t words[3] = {kTcpHelloMagic, static_cast<uint32_t>(rank), token_bytes};
  std::memcpy(out, words, sizeof(words));
}

std::optional<TcpHello> ParseTcpHello(const uint8_t (&in)[kTcpHelloBytes]) {
  uint32_t words[3];
  std::memcpy(words, in, sizeof(words));
  if (words[0] != kTcpHelloMagic || words[2] > kTcpMaxTokenBytes) return std::nullopt;
  return TcpHello{.rank = static_cast<int>(words[1]), .token_bytes = words[2]};
}

uint8_t AnswerTcpHello(const TcpHello& hello, absl::string_view token, absl::string_view run_token,
                       int rank, int size) {
  if (!SameRunToken(token, run_token)) return kHandshakeWrongToken;
  if (hello.rank < 0 || hello.rank >= size || hello.rank == rank) return kHandshakeBadRank;
  return kHandshakeAccepted;
}

void EncodeTcpFrameHeader(const TcpFrameHeader& header, uint8_t (&out)[kTcpFrameHeaderBytes]) {
  std::memcpy(out, &header.tag.op, 4);
  std::memcpy(out + 4, &header.tag.segment, 4);
  std::memcpy(out + 8, &header.tag.step, 8);
  std::memcpy(out + 16, &header.length, 4);
  std::memcpy(out + 20, &header.magic, 4);
  std::memcpy(out + 24, &header.delivered_ns, 8);
}

TcpFrameHeader DecodeTcpFrameHeader(const uint8_t (&in)[kTcpFrameHeaderBytes]) {
  TcpFrameHeader header;
  std::memcpy(&header.tag.op, in, 4);
  std::memcpy(&header.tag.segment, in + 4, 4);
  std::memcpy(&header.tag.step, in + 8, 8);
  std::memcpy(&header.length, in + 16, 4);
  std::memcpy(&header.magic, in + 20, 4);
  std::memcpy(&header.delivered_ns, in + 24, 8);
  return header;
}

bool TcpFrameHeaderValid(const TcpFrameHeader& header, int64_t max_frame_bytes) {
  return header.magic == kTcpFrameMagic && header.length % sizeof(float) == 0 &&
         static_cast<int64_t>(header.length) <= max_frame_bytes;
}

}  // namespace distsim::comm
