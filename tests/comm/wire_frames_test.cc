// The gRPC-free codecs of what arrives on a connection: the ring frame (ring_frame.h, and the
// gRPC adapter in grpc_ring_wire.h that hands it slices) and the TCP hello and frame header
// (tcp_frame.h). The fuzz targets fuzz_ring_frame and fuzz_tcp_frame run the same functions on
// arbitrary bytes; these tests pin their results on known ones.
#include <grpcpp/support/slice.h>
#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "sim/comm/grpc_ring_wire.h"
#include "sim/comm/ring_frame.h"
#include "sim/comm/tcp_frame.h"

namespace distsim::comm {
namespace {

using Bytes = std::span<const std::byte>;

constexpr FrameTag kTag = {.op = 7, .step = 0x0102030405060708ULL, .segment = 3};

// A ring frame of `floats` (header, then the payload).
std::vector<std::byte> RingFrame(const FrameTag& tag, const std::vector<float>& floats) {
  std::array<uint8_t, kRingMaxHeaderBytes> header;
  const size_t header_bytes =
      EncodeRingHeader(tag, static_cast<uint32_t>(floats.size() * sizeof(float)), &header);
  std::vector<std::byte> frame(header_bytes + floats.size() * sizeof(float));
  std::memcpy(frame.data(), header.data(), header_bytes);
  if (!floats.empty()) {
    std::memcpy(frame.data() + header_bytes, floats.data(), floats.size() * sizeof(float));
  }
  return frame;
}

// The payload of a decoded frame, gathered from its pieces.
std::vector<float> Payload(const InboundFrame& frame) {
  std::vector<float> out(frame.bytes / sizeof(float));
  size_t at = 0;
  for (Bytes piece : frame.pieces) {
    std::memcpy(reinterpret_cast<std::byte*>(out.data()) + at, piece.data(), piece.size());
    at += piece.size();
  }
  EXPECT_EQ(at, frame.bytes);
  return out;
}

TEST(RingFrameTest, DecodesWhatWasEncodedInAnyPieces) {
  const std::vector<float> floats(40, 1.5f);  // 160 bytes: a two-byte length varint
  const std::vector<std::byte> frame = RingFrame(kTag, floats);
  ASSERT_EQ(frame.size(), kRingFixedHeaderBytes + 1 + 2 + 160);
  for (size_t cut : {size_t{1}, size_t{5}, size_t{21}, size_t{22}, frame.size()}) {
    std::vector<Bytes> pieces;
    for (size_t at = 0; at < frame.size(); at += cut) {
      pieces.push_back(Bytes(frame).subspan(at, std::min(cut, frame.size() - at)));
      pieces.push_back(Bytes());  // empty pieces are allowed anywhere
    }
    FrameTag tag;
    InboundFrame decoded;
    ASSERT_TRUE(DecodeRingFrame(pieces, 1 << 20, &tag, &decoded).ok()) << "cut " << cut;
    EXPECT_EQ(tag, kTag);
    EXPECT_EQ(decoded.bytes, 160u);
    EXPECT_EQ(Payload(decoded), floats) << "cut " << cut;
  }
}

TEST(RingFrameTest, GrpcSlicesDecodeAsTheirBytesDo) {
  const std::vector<float> floats = {1, -2, 3.25f, 4};
  const std::vector<std::byte> frame = RingFrame(kTag, floats);
  const std::vector<grpc::Slice> slices = {grpc::Slice(frame.data(), 10),
                                           grpc::Slice(frame.data() + 10, frame.size() - 10)};
  FrameTag from_slices, from_bytes;
  InboundFrame grpc_frame, byte_frame;
  ASSERT_TRUE(DecodeRingFrame(slices, 1 << 20, &from_slices, &grpc_frame).ok());
  const Bytes whole(frame);
  ASSERT_TRUE(
      DecodeRingFrame(std::span<const Bytes>(&whole, 1), 1 << 20, &from_bytes, &byte_frame).ok());
  EXPECT_EQ(from_slices, from_bytes);
  EXPECT_EQ(grpc_frame.bytes, byte_frame.bytes);
  EXPECT_EQ(Payload(grpc_frame), floats);
  EXPECT_EQ(Payload(byte_frame), floats);
}

TEST(RingFrameTest, MalformedFramesAreDataLossAndLeaveTheFrameEmpty) {
  const std::vector<std::byte> frame = RingFrame(kTag, {1, 2});
  auto decode = [](std::vector<std::byte> bytes, int64_t limit) {
    const Bytes whole(bytes);
    FrameTag tag;
    InboundFrame decoded;
    absl::Status status = DecodeRingFrame(std::span<const Bytes>(&whole, 1), limit, &tag, &decoded);
    EXPECT_TRUE(decoded.pieces.empty());
    return status;
  };
  // A truncated header, a wrong field tag, a payload shorter or longer than declared, a payload
  // of partial floats, a payload over the limit, a length varint that never ends.
  const std::vector<std::byte> header_only(frame.begin(), frame.begin() + 20);
  EXPECT_EQ(decode(header_only, 64).message(), "malformed ring frame header");
  std::vector<std::byte> bad_tag = frame;
  bad_tag[5] = std::byte{0x12};
  EXPECT_EQ(decode(bad_tag, 64).message(), "malformed ring frame header");
  const std::vector<std::byte> short_payload(frame.begin(), frame.end() - 1);
  EXPECT_TRUE(absl::IsDataLoss(decode(short_payload, 64)));
  std::vector<std::byte> long_payload = frame;
  long_payload.push_back(std::byte{0});
  EXPECT_TRUE(absl::IsDataLoss(decode(long_payload, 64)));
  std::vector<std::byte> partial = RingFrame(kTag, {});
  partial[20] = std::byte{3};
  partial.resize(partial.size() + 3);
  EXPECT_TRUE(absl::IsDataLoss(decode(partial, 64)));
  EXPECT_EQ(decode(frame, 4).message(), "ring frame of 29 bytes declares a payload of 8 (limit 4)");
  std::vector<std::byte> endless(frame.begin(), frame.begin() + 20);
  endless.resize(40, std::byte{0x80});
  EXPECT_EQ(decode(endless, 64).message(), "malformed ring frame length");
}

TEST(TcpFrameTest, HeaderRoundTripsAndIsCheckedAgainstTheLimit) {
  const TcpFrameHeader header = {
      .tag = kTag, .length = 64, .magic = kTcpFrameMagic, .delivered_ns = -5};
  uint8_t bytes[kTcpFrameHeaderBytes];
  EncodeTcpFrameHeader(header, bytes);
  const TcpFrameHeader decoded = DecodeTcpFrameHeader(bytes);
  EXPECT_EQ(decoded.tag, kTag);
  EXPECT_EQ(decoded.length, 64u);
  EXPECT_EQ(decoded.delivered_ns, -5);
  EXPECT_TRUE(TcpFrameHeaderValid(decoded, 64));
  EXPECT_FALSE(TcpFrameHeaderValid(decoded, 60));  // over the limit
  TcpFrameHeader partial = decoded;
  partial.length = 62;
  EXPECT_FALSE(TcpFrameHeaderValid(partial, 64));  // not whole floats
  TcpFrameHeader foreign = decoded;
  foreign.magic = 0;
  EXPECT_FALSE(TcpFrameHeaderValid(foreign, 64));
}

TEST(TcpFrameTest, HelloRoundTripsAndIsAnswered) {
  uint8_t bytes[kTcpHelloBytes];
  EncodeTcpHello(2, 32, bytes);
  std::optional<TcpHello> hello = ParseTcpHello(bytes);
  ASSERT_TRUE(hello.has_value());
  EXPECT_EQ(hello->rank, 2);
  EXPECT_EQ(hello->token_bytes, 32u);
  EXPECT_EQ(AnswerTcpHello(*hello, "token", "token", 0, 4), kHandshakeAccepted);
  EXPECT_EQ(AnswerTcpHello(*hello, "other", "token", 0, 4), kHandshakeWrongToken);
  EXPECT_EQ(AnswerTcpHello(*hello, "token", "token", 2, 4), kHandshakeBadRank);  // itself
  EXPECT_EQ(AnswerTcpHello(*hello, "token", "token", 0, 2), kHandshakeBadRank);  // past the group
  EXPECT_EQ(AnswerTcpHello({.rank = -1}, "token", "token", 0, 4), kHandshakeBadRank);
  // A hello is malformed with another magic, or a token longer than any run's.
  EncodeTcpHello(1, kTcpMaxTokenBytes + 1, bytes);
  EXPECT_FALSE(ParseTcpHello(bytes).has_value());
  EncodeTcpHello(1, 8, bytes);
  bytes[0] ^= 1;
  EXPECT_FALSE(ParseTcpHello(bytes).has_value());
}

}  // namespace
}  // namespace distsim::comm
