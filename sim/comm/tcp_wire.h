// TcpPeerLink's socket plumbing (the wire format is described in tcp_peer_link.h): socket calls
// with deadlines and the handshake each connection starts with. The bytes of the hello and of the
// 32-byte frame header are tcp_frame.h's. Internal to sim/comm. Functions returning int return 0
// or an errno value, as the socket calls do.
#ifndef DISTSIM_SIM_COMM_TCP_WIRE_H_
#define DISTSIM_SIM_COMM_TCP_WIRE_H_

#include <netinet/in.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sim/comm/tcp_frame.h"

namespace distsim::comm {

std::string ErrnoText(int error);

// Waits until `fd` is ready for `events` or `deadline`. 0 when ready (or in error: the next call
// says which), ETIMEDOUT past the deadline.
int WaitFor(int fd, short events, absl::Time deadline);

// Writes every byte of `iov` to the non-blocking socket `fd` by `deadline`. 0, ETIMEDOUT or the
// socket's errno (EPIPE, ECONNRESET, ...). Modifies `iov`.
int SendAll(int fd, iovec* iov, int count, absl::Time deadline);

// Reads exactly `size` bytes from the blocking socket `fd`. 0 on success, -1 on EOF before any
// byte, else the errno (EPROTO for EOF mid-way).
int ReadAll(int fd, void* out, size_t size);

void SetNoDelay(int fd);

// Resolves "host:port" to an IPv4 address. InvalidArgument naming the address otherwise.
absl::StatusOr<sockaddr_in> Resolve(const std::string& address);

// Sender side of the handshake on the connected non-blocking socket `fd`: sends the hello (magic,
// `rank`, the token's length, `run_token`) and reads the receiver's answer into `answer`, all by
// `deadline`. Returns 0, ETIMEDOUT, ECONNRESET or the socket's errno.
int SendHandshake(int fd, int rank, const std::string& run_token, absl::Time deadline,
                  uint8_t* answer);

// Receiver side, on the blocking socket `fd` of rank `rank` of a group of `size`: reads a hello,
// answers it (AnswerTcpHello), and returns the sender's rank if accepted (the right token, a valid
// rank other than `rank`), else -1 (refused, malformed, or the connection failed).
int AnswerHandshake(int fd, const std::string& run_token, int rank, int size);

}  // namespace distsim::comm

#endif  // DISTSIM_SIM_COMM_TCP_WIRE_H_
