// GrpcPeerLink: PeerLink between processes over gRPC (one process per rank).
//
// Wire: one long-lived stream per (sender, receiver) pair, opened by the sender on the receiver's
// server (service distsim.rpc.Ring, proto/distsim/ring.proto), carrying the run token and the
// sender's rank as metadata; a receiver with another token refuses it (PERMISSION_DENIED). Frames
// are hand-encoded RingFrame messages whose payload slice points at the caller's floats (no copy on
// the send side for payloads >= 256 KiB: Send waits until gRPC has released that memory; smaller
// payloads are copied once into the message and Send returns while they are in flight). The
// receive side is a gRPC callback reactor per incoming stream that moves every frame into an
// unbounded mailbox as soon as it arrives, so it always drains and a slow Recv never stalls a
// sender. Streams are not re-opened: once a stream to a peer fails, sends to it keep failing.
//
// Setup, in a process hosting one gRPC server for several strategies:
//   GrpcPeerLink link({.rank = r, .size = n, .run_token = token, .max_frame_bytes = segment});
//   server_options.max_message_bytes = max(..., RingMaxMessageBytes(segment));
//   StartServer(server_options, {link.service(), ...});      // report the port, get the peer table
//   DS_RETURN_IF_ERROR(link.Connect(addresses, deadline));     // addresses[i]: rank i's host:port
//   ... RingAllreduce(link, ...) ...
//   link.Close(deadline); server->Shutdown(deadline); then destroy the link (its service must
//   outlive the server).
//
// Thread safety: as PeerLink. Connect is called once, before any Send.
#ifndef DISTSIM_SIM_COMM_GRPC_PEER_LINK_H_
#define DISTSIM_SIM_COMM_GRPC_PEER_LINK_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "sim/comm/peer_link.h"
#include "sim/comm/tls.h"

namespace grpc {
class Service;
}  // namespace grpc

namespace distsim::comm {

class RingOutStream;  // the send side of one stream (sim/comm/grpc_ring_out_stream.h)

struct GrpcPeerLinkOptions {
  int rank = 0;
  int size = 1;
  // Carried by every stream; a peer presenting another token is refused.
  std::string run_token;
  // Largest payload one Send may carry, in bytes (the allreduce's segment_bytes, rounded up to
  // whole floats). Caps the gRPC message size of the channels this link opens.
  int64_t max_frame_bytes = 4 << 20;
  // Microseconds a Recv spins before it sleeps (see FrameMailbox); 0: never. Measured slower
  // here for gRPC, whose own threads need the cores to deliver frames; kept for experiments.
  int spin_micros = 0;
  // TLS for the streams this link opens (the peers' servers must serve it too, and this
  // process's server should: ServerOptions::tls); empty: plaintext.
  TlsFiles tls = {};
};

// The largest gRPC message a link with `max_frame_bytes` sends: the receiving server's
// ServerOptions::max_message_bytes must be at least this.
int RingMaxMessageBytes(int64_t max_frame_bytes);

class GrpcPeerLink final : public PeerLink {
 public:
  explicit GrpcPeerLink(GrpcPeerLinkOptions options);
  // Closes the outgoing streams (Close with a 2 s deadline, then cancels) and waits for them.
  ~GrpcPeerLink() override;
  GrpcPeerLink(const GrpcPeerLink&) = delete;
  GrpcPeerLink& operator=(const GrpcPeerLink&) = delete;

  // The service receiving this rank's incoming streams; register it on the process's server
  // before starting the server. Owned by the link; must outlive the server.
  grpc::Service* service();

  // Records the peer table (peer_addresses[i] = "host:port" of rank i's server; this rank's own
  // entry is ignored) and opens the stream to the right ring neighbour (rank + 1) mod size,
  // waiting until that peer has accepted it (token checked) or `deadline` passes. Streams to other
  // ranks open on their first Send. Errors: InvalidArgument (table size), PermissionDenied
  // (refused token), Unavailable (peer not reachable by the deadline).
  absl::Status Connect(const std::vector<std::string>& peer_addresses, absl::Time deadline);

  // Half-closes every outgoing stream (the peers see a clean end) and waits for them until
  // `deadline`, then cancels what is left. Sends after Close fail.
  void Close(absl::Time deadline);

  int rank() const override { return options_.rank; }
  int size() const override { return options_.size; }
  absl::Status Send(int to, const FrameTag& tag, std::span<const float> data,
                    absl::Time deadline) override;
  absl::Status Recv(int from, const FrameTag& tag, std::span<float> out, absl::Time deadline,
                    RecvMode mode) override;
  void Abort() override;
  uint64_t bytes_sent() const override { return bytes_sent_.load(); }
  uint64_t bytes_received() const override;
  int blocked_receivers() const override;

  struct Shared;  // internal: state shared with the incoming-stream reactors

 private:
  class RingService;

  // The stream to `to`, opened (and its hello awaited until `deadline`) on first use.
  absl::StatusOr<RingOutStream*> StreamTo(int to, absl::Time deadline);

  const GrpcPeerLinkOptions options_;
  std::shared_ptr<Shared> shared_;  // also held by the incoming-stream reactors
  std::unique_ptr<RingService> service_;
  std::atomic<bool> aborted_{false};
  std::atomic<uint64_t> bytes_sent_{0};
  absl::Mutex mu_;
  std::vector<std::string> addresses_ ABSL_GUARDED_BY(mu_);
  // By destination rank.
  std::vector<std::unique_ptr<RingOutStream>> streams_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace distsim::comm

#endif  // DISTSIM_SIM_COMM_GRPC_PEER_LINK_H_
