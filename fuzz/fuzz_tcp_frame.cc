// fuzz_tcp_frame: what a TcpPeerLink receiver does with the bytes of a connection
// (sim/comm/tcp_frame.h), on arbitrary bytes. The first byte picks the part:
//   even: a stream of frames, read as ReadFrame reads them: a 32-byte header, refused unless
//         TcpFrameHeaderValid (limit 4096 bytes), then its payload; until the bytes end;
//   odd:  a handshake: the 12-byte hello (ParseTcpHello), its token, and the answer of rank 1 of
//         4 whose run token is kRunToken (AnswerTcpHello).
// Contracts checked: decoding and encoding a header are inverse; an accepted header's payload is
// whole floats within the limit; a hello re-encodes to its bytes; only the right token and a
// valid other rank are accepted.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>

#include "absl/strings/string_view.h"
#include "fuzz/fuzz_check.h"
#include "sim/comm/tcp_frame.h"

namespace {

namespace comm = distsim::comm;

constexpr int64_t kMaxFrameBytes = 4096;
constexpr absl::string_view kRunToken = "0123456789abcdef0123456789abcdef";

void FuzzFrames(const uint8_t* data, size_t size) {
  size_t at = 0;
  while (size - at >= comm::kTcpFrameHeaderBytes) {
    uint8_t bytes[comm::kTcpFrameHeaderBytes];
    std::memcpy(bytes, data + at, sizeof(bytes));
    at += sizeof(bytes);
    const comm::TcpFrameHeader header = comm::DecodeTcpFrameHeader(bytes);
    uint8_t again[comm::kTcpFrameHeaderBytes];
    comm::EncodeTcpFrameHeader(header, again);
    FUZZ_CHECK(std::memcmp(bytes, again, sizeof(bytes)) == 0);
    if (!comm::TcpFrameHeaderValid(header, kMaxFrameBytes)) return;  // the connection ends
    FUZZ_CHECK(header.magic == comm::kTcpFrameMagic && header.length % 4 == 0 &&
               header.length <= kMaxFrameBytes);
    if (size - at < header.length) return;  // the connection broke mid-frame
    at += header.length;
  }
}

void FuzzHandshake(const uint8_t* data, size_t size) {
  if (size < comm::kTcpHelloBytes) return;
  uint8_t bytes[comm::kTcpHelloBytes];
  std::memcpy(bytes, data, sizeof(bytes));
  const std::optional<comm::TcpHello> hello = comm::ParseTcpHello(bytes);
  if (!hello.has_value()) return;  // dropped without an answer
  FUZZ_CHECK(hello->token_bytes <= comm::kTcpMaxTokenBytes);
  uint8_t again[comm::kTcpHelloBytes];
  comm::EncodeTcpHello(hello->rank, hello->token_bytes, again);
  FUZZ_CHECK(std::memcmp(bytes, again, sizeof(bytes)) == 0);
  if (size - sizeof(bytes) < hello->token_bytes) return;  // the connection ended in the token
  const absl::string_view token(reinterpret_cast<const char*>(data) + sizeof(bytes),
                                hello->token_bytes);
  const int rank = 1, group = 4;
  const uint8_t answer = comm::AnswerTcpHello(*hello, token, kRunToken, rank, group);
  if (token != kRunToken) {
    FUZZ_CHECK(answer == comm::kHandshakeWrongToken);
  } else if (hello->rank < 0 || hello->rank >= group || hello->rank == rank) {
    FUZZ_CHECK(answer == comm::kHandshakeBadRank);
  } else {
    FUZZ_CHECK(answer == comm::kHandshakeAccepted);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  if (data[0] % 2 == 0) {
    FuzzFrames(data + 1, size - 1);
  } else {
    FuzzHandshake(data + 1, size - 1);
  }
  return 0;
}
