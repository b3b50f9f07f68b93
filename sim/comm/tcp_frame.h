// The bytes TcpPeerLink puts on a connection (the wire format is described in tcp_peer_link.h):
// the handshake's hello and answer, and the 32-byte frame header, encoded and decoded over plain
// bytes. No sockets here (tcp_wire.h does the socket calls) and no gRPC, so the fuzz target
// fuzz/fuzz_tcp_frame.cc runs the receiver's checks on arbitrary bytes. Internal to sim/comm.
// Integers travel in host byte order (every rank of a run is on one machine type).
#ifndef DISTSIM_SIM_COMM_TCP_FRAME_H_
#define DISTSIM_SIM_COMM_TCP_FRAME_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"
#include "sim/comm/peer_link.h"
#include "sim/comm/tcp_peer_link.h"

namespace distsim::comm {

// The receiver's one-byte answer to a handshake.
inline constexpr uint8_t kHandshakeAccepted = 0, kHandshakeWrongToken = 1, kHandshakeBadRank = 2;

// The hello a sender writes first: magic u32, its rank u32, the token's length u32; the token's
// bytes follow.
inline constexpr size_t kTcpHelloBytes = 12;
inline constexpr uint32_t kTcpHelloMagic = 0x4C545344;  // "DSTL"
// Longest run token a receiver reads; a hello announcing more is malformed.
inline constexpr uint32_t kTcpMaxTokenBytes = 4096;

struct TcpHello {
  int rank = 0;              // the sender's rank as it claims it (not yet checked)
  uint32_t token_bytes = 0;  // length of the token that follows, <= kTcpMaxTokenBytes
};

void EncodeTcpHello(int rank, uint32_t token_bytes, uint8_t (&out)[kTcpHelloBytes]);

// The hello in `in`, or nullopt when it is malformed (wrong magic, a token over
// kTcpMaxTokenBytes): the receiver then drops the connection without an answer.
std::optional<TcpHello> ParseTcpHello(const uint8_t (&in)[kTcpHelloBytes]);

// The answer of rank `rank` of a group of `size` (whose run token is `run_token`) to `hello`
// followed by `token`: kHandshakeWrongToken unless the tokens match, else kHandshakeBadRank
// unless hello.rank is in [0, size) and not `rank`, else kHandshakeAccepted.
uint8_t AnswerTcpHello(const TcpHello& hello, absl::string_view token, absl::string_view run_token,
                       int rank, int size);

// A frame header's fields: op u32, segment u32, step u64, payload length u32, magic u32,
// delivered i64, at byte offsets 0, 4, 8, 16, 20, 24.
struct TcpFrameHeader {
  FrameTag tag;
  uint32_t length = 0;       // payload bytes
  uint32_t magic = 0;        // kTcpFrameMagic in a well-formed frame
  int64_t delivered_ns = 0;  // shaped delivery time (Unix ns), 0 if not shaped
};
inline constexpr uint32_t kTcpFrameMagic = 0x46525344;  // "DSRF"

void EncodeTcpFrameHeader(const TcpFrameHeader& header, uint8_t (&out)[kTcpFrameHeaderBytes]);
TcpFrameHeader DecodeTcpFrameHeader(const uint8_t (&in)[kTcpFrameHeaderBytes]);

// True if a receiver accepts `header`: the magic is kTcpFrameMagic and the payload length is a
// multiple of 4 no larger than `max_frame_bytes`. Any tag and delivery time are accepted.
bool TcpFrameHeaderValid(const TcpFrameHeader& header, int64_t max_frame_bytes);

}  // namespace distsim::comm

#endif  // DISTSIM_SIM_COMM_TCP_FRAME_H_
