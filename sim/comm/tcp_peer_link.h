// TcpPeerLink: PeerLink between processes over plain TCP sockets (one process per rank), the
// low-overhead alternative to GrpcPeerLink.
//
// Wire: one TCP connection per (sender, receiver) pair, opened by the sender to the receiver's
// listener. The sender first writes a handshake (magic, its rank, the run token); the receiver
// answers one byte, accepting or refusing (wrong token, bad rank) and closing. Then the sender
// writes frames: a 32-byte header (op u32, segment u32, step u64, payload length u32, magic u32,
// delivered i64, all little-endian) followed by the payload, written straight from the caller's
// floats with one sendmsg (no copy). TCP_NODELAY on every connection. Connections are not
// re-opened: once one to a peer fails, sends to it keep failing.
//
// Shaping (optional: options.nic): every rank runs on a simulated host (options.rank_host) whose
// NIC the frame must cross when the receiver is on another host. Send first passes the frame
// through the NicPort (sleeping through its serialization on the simulated NIC, contending with
// every other link of both hosts), then writes it with `delivered` = the instant the simulated
// network delivers it, in nanoseconds since the Unix epoch (all ranks run on this machine, so the
// realtime clock is shared); 0 = not shaped (no NIC, or both ranks on one host). Recv does not
// hand out a frame before its delivered time: it sleeps until then after taking it (the deadline
// bounds the frame's real arrival; the simulated latency after it is always waited for).
//
// Receive side: one reader thread per inbound connection reads each frame into its own buffer and
// puts it into an unbounded FrameMailbox at once, so it always drains and a slow Recv never stalls
// a sender. A connection that ends (EOF or error) closes that sender in the mailbox: a Recv waiting
// on it returns Unavailable naming the rank.
//
// Setup:
//   TcpPeerLink link({.rank = r, .size = n, .run_token = token, .max_frame_bytes = segment});
//   DS_ASSIGN_OR_RETURN(int port, link.Listen());   // report bind_host:port as this rank's address
//   DS_RETURN_IF_ERROR(link.Connect(addresses, deadline));  // addresses[i]: rank i's host:port
//   ... RingAllreduce(link, ...) ...
//   link.Close(deadline);   // or just destroy the link
//
// Thread safety: as PeerLink. Listen is called once, then Connect once, before any Send; Close and
// Abort may be called from any thread. The link owns its sockets and threads; the destructor
// closes and joins them.
#ifndef DISTSIM_SIM_COMM_TCP_PEER_LINK_H_
#define DISTSIM_SIM_COMM_TCP_PEER_LINK_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "sim/comm/frame_mailbox.h"
#include "sim/comm/nic.h"
#include "sim/comm/peer_link.h"

struct sockaddr_in;

namespace distsim::comm {

class FrameBufferPool;
struct TcpFrameHeader;

struct TcpPeerLinkOptions {
  int rank = 0;
  int size = 1;
  // Sent in the handshake; a peer presenting another token is refused.
  std::string run_token;
  // Largest payload one Send may carry, in bytes (the allreduce's segment_bytes). A received
  // frame declaring more ends that connection (DataLoss).
  int64_t max_frame_bytes = 4 << 20;
  // Address the listener binds (port 0: any free port).
  std::string bind_host = "127.0.0.1";
  // Microseconds a Recv spins before it sleeps (see FrameMailbox); 0: never. Worth it only when
  // every rank on this machine has a core of its own.
  int spin_micros = 0;
  // Simulated NIC of this rank's host (nullptr: not shaped). May be shared with other links and
  // clients of the same process.
  std::shared_ptr<NicPort> nic = nullptr;
  // With nic: the simulated host of every rank (size entries, in [0, nic->table().hosts()), with
  // rank_host[rank] == nic->host()); checked by Connect.
  std::vector<int> rank_host = {};
};

// Bytes of framing per frame (added to the payload in the byte counters).
inline constexpr uint64_t kTcpFrameHeaderBytes = 32;

class TcpPeerLink final : public PeerLink {
 public:
  explicit TcpPeerLink(TcpPeerLinkOptions options);
  // Close without waiting for the peers (a no-op after Close), then closes every socket.
  ~TcpPeerLink() override;
  TcpPeerLink(const TcpPeerLink&) = delete;
  TcpPeerLink& operator=(const TcpPeerLink&) = delete;

  // Binds options.bind_host on a free port, starts accepting peers' connections and returns the
  // port. Errors: Unavailable (cannot bind), FailedPrecondition (called twice, or after Close).
  absl::StatusOr<int> Listen();

  // Records the peer table (peer_addresses[i] = "host:port" of rank i's listener; this rank's own
  // entry is ignored) and connects to the right ring neighbour (rank + 1) mod size, retrying until
  // it listens, and waits for its handshake answer, all by `deadline`. Connections to other ranks
  // open on their first Send. Errors: InvalidArgument (table size or a malformed address),
  // PermissionDenied (the peer refused the token; names it), Unavailable (peer not reachable by
  // the deadline), Cancelled (aborted).
  absl::Status Connect(const std::vector<std::string>& peer_addresses, absl::Time deadline);

  // Ends the outgoing connections cleanly (the peers see EOF after every frame sent), stops
  // accepting, waits until `deadline` for the peers to end theirs, then shuts every socket down.
  // Sends after Close fail (FailedPrecondition). Idempotent.
  void Close(absl::Time deadline);

  int rank() const override { return options_.rank; }
  int size() const override { return options_.size; }
  absl::Status Send(int to, const FrameTag& tag, std::span<const float> data,
                    absl::Time deadline) override;
  absl::Status Recv(int from, const FrameTag& tag, std::span<float> out, absl::Time deadline,
                    RecvMode mode) override;
  void Abort() override;
  uint64_t bytes_sent() const override { return bytes_sent_.load(); }
  uint64_t bytes_received() const override { return bytes_received_.load(); }
  // Frames (header and payload) that crossed the simulated NIC; received ones count when Recv
  // consumes them.
  uint64_t nic_bytes_sent() const override { return nic_bytes_sent_.load(); }
  uint64_t nic_bytes_received() const override { return nic_bytes_received_.load(); }
  int blocked_receivers() const override { return mailbox_.waiting(); }

 private:
  struct OutConn {
    absl::Mutex mu;  // one frame at a time per connection; held while opening
    bool tried ABSL_GUARDED_BY(mu) = false;
    absl::Status status ABSL_GUARDED_BY(mu);  // sticky: once failed, stays failed
    std::atomic<int> fd{-1};                  // set once, when open
  };

  // Send side (tcp_peer_link_send.cc).
  // Opens the connection to `to` (connect, handshake) unless it was tried before; returns its
  // (sticky) state. Takes conn->mu.
  absl::Status EnsureOpen(int to, OutConn* conn, absl::Time deadline);
  // Connects to `to` and shakes hands; the socket, or why not (named as EnsureOpen reports it).
  absl::StatusOr<int> Open(int to, absl::Time deadline);
  // Connects a new socket to `target` (`peer` names it), retrying every 20 ms while it refuses,
  // until `deadline`. Unavailable then; Cancelled if aborted.
  absl::StatusOr<int> Dial(const sockaddr_in& target, const std::string& peer, absl::Time deadline);
  // The status of a handshake with `peer` that ended with socket `error` and `answer`.
  absl::Status HandshakeStatus(int error, uint8_t answer, const std::string& peer);
  // Writes one frame on `conn` (to rank `to`); a failure makes the connection's status sticky.
  absl::Status WriteFrame(int to, OutConn* conn, const TcpFrameHeader& header,
                          std::span<const float> data, absl::Time deadline);

  // Receive side (tcp_peer_link.cc).
  void AcceptLoop();
  // One inbound connection: the handshake, then frames until it ends.
  void ReadLoop(int fd);
  // Reads one frame from `from` into the mailbox; the reason the connection ended otherwise.
  absl::Status ReadFrame(int fd, int from);
  // Socket bookkeeping: every open fd is listed so Abort/Close can shut it down; fds are closed
  // only by Forget (unlisted first) or the destructor, so a listed fd is never reused meanwhile.
  absl::StatusOr<int> NewSocket();
  void Forget(int fd);
  void ShutdownAll();
  // Shaped frames: the reader records each frame's delivered time here before queueing it, in
  // mailbox order, so the Recv that takes the frame (from, tag) pops the matching entry.
  void NoteShaped(int from, const FrameTag& tag, int64_t delivered_ns, uint64_t wire_bytes);
  // After a successful Take of (from, tag): that frame's entry, if it was shaped.
  bool PopShaped(int from, const FrameTag& tag, int64_t* delivered_ns, uint64_t* wire_bytes);

  const TcpPeerLinkOptions options_;
  FrameMailbox mailbox_;
  std::shared_ptr<FrameBufferPool> pool_;  // also held by queued frames
  std::atomic<bool> aborted_{false};
  std::atomic<uint64_t> bytes_sent_{0};
  std::atomic<uint64_t> bytes_received_{0};
  std::atomic<uint64_t> nic_bytes_sent_{0};
  std::atomic<uint64_t> nic_bytes_received_{0};
  std::vector<std::unique_ptr<OutConn>> out_;  // by destination rank; fixed size

  // Set (before its first frame is queued) for each sender whose frames are shaped.
  std::unique_ptr<std::atomic<bool>[]> shaped_from_;
  struct ShapedFrame {
    int64_t delivered_ns;
    uint64_t wire_bytes;
  };
  absl::Mutex shaped_mu_;
  std::map<std::pair<int, FrameTag>, std::deque<ShapedFrame>> shaped_ ABSL_GUARDED_BY(shaped_mu_);

  absl::Mutex mu_;
  int listen_fd_ ABSL_GUARDED_BY(mu_) = -1;
  std::vector<std::string> addresses_ ABSL_GUARDED_BY(mu_);
  std::vector<int> fds_ ABSL_GUARDED_BY(mu_);  // every open socket (listed for shutdown)
  std::thread acceptor_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> readers_ ABSL_GUARDED_BY(mu_);
  int live_readers_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace distsim::comm

#endif  // DISTSIM_SIM_COMM_TCP_PEER_LINK_H_
