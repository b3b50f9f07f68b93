// The send side of GrpcPeerLink: one client bidi reactor per destination rank, carrying frames
// encoded as grpc_ring_wire.h says. Internal to sim/comm (it includes gRPC).
//
// The stream keeps a hold on its call between writes; the hold is released exactly once, by Close
// or Cancel. Payloads of at least kZeroCopyMinBytes go out zero-copy from the caller's memory and
// Write waits until gRPC releases it; smaller ones are copied into the message and Write returns
// while they are in flight (the next Write, or Close, waits for them). gRPC calls, which may run
// reactions or a slice release inline, are made without holding mu_.
#ifndef DISTSIM_SIM_COMM_GRPC_RING_OUT_STREAM_H_
#define DISTSIM_SIM_COMM_GRPC_RING_OUT_STREAM_H_

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sim/comm/grpc_peer_link.h"

namespace distsim::comm {

// Payloads below this are copied into the message and Write returns without waiting for the
// write; larger ones go out zero-copy and Write waits for their release.
inline constexpr size_t kZeroCopyMinBytes = 256 << 10;

class RingOutStream final : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  // A stream from options.rank to rank `to` at `address` ("host:port"). `options` must outlive
  // the stream. Nothing is sent before Open.
  RingOutStream(const GrpcPeerLinkOptions& options, int to, const std::string& address);
  // Waits for the call to end (and every zero-copy payload to be released) if it was started.
  ~RingOutStream() override;

  // Starts the call and waits for the peer's hello (the token was accepted) until `deadline`.
  // Unavailable if the peer did not answer in time or ended the stream; PermissionDenied if it
  // refused the token. Called once; every later Write sees its result.
  absl::Status Open(absl::Time deadline);

  // Writes one frame; returns once gRPC no longer references `data`, and sets `wire_bytes` to
  // what the message costs on the wire. Writes are serialized per stream. Errors: Cancelled if
  // `aborted`; DeadlineExceeded if the peer did not take the frame by `deadline` (the stream is
  // cancelled then); the stream's failure otherwise.
  absl::Status Write(const FrameTag& tag, std::span<const float> data, absl::Time deadline,
                     const std::atomic<bool>& aborted, uint64_t* wire_bytes);

  // Cancels the call (idempotent; a no-op before Open).
  void Cancel();

  // Half-closes the stream and waits for the peer's final status until `deadline`, then cancels.
  void Close(absl::Time deadline);

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

 private:
  static void Released(void* self);
  bool Finished() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return done_ && unreleased_ == 0; }
  // Releases the hold taken in Open, once.
  void ReleaseHold();
  // Write's steps (with write_mu_ held): wait for the stream to be open and the previous write
  // done, then claim the next write; build the message and start writing it (returns its wire
  // bytes); for a zero-copy payload, wait until gRPC has written and released it.
  absl::Status AwaitTurn(bool zero_copy, absl::Time deadline, const std::atomic<bool>& aborted)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  uint64_t StartFrameWrite(const FrameTag& tag, std::span<const float> data, bool zero_copy)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  absl::Status AwaitRelease(absl::Time deadline, const std::atomic<bool>& aborted)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // The error of a stream that failed or was cancelled. Call without mu_.
  absl::Status StreamError(const std::atomic<bool>& aborted);

  const GrpcPeerLinkOptions& options_;
  const std::string peer_;
  std::shared_ptr<grpc::Channel> channel_;  // plaintext or TLS, as options_.tls says
  grpc::GenericStub stub_;
  grpc::ClientContext context_;
  grpc::ByteBuffer hello_;
  absl::Mutex write_mu_;                                 // one write in flight per stream
  grpc::ByteBuffer message_ ABSL_GUARDED_BY(write_mu_);  // the write in flight
  absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool opened_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status open_status_ ABSL_GUARDED_BY(mu_);
  bool hello_done_ ABSL_GUARDED_BY(mu_) = false;
  bool hello_ok_ ABSL_GUARDED_BY(mu_) = false;
  bool write_done_ ABSL_GUARDED_BY(mu_) = true;
  bool write_ok_ ABSL_GUARDED_BY(mu_) = true;
  bool timed_out_ ABSL_GUARDED_BY(mu_) = false;
  bool hold_released_ ABSL_GUARDED_BY(mu_) = false;
  int unreleased_ ABSL_GUARDED_BY(mu_) = 0;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status final_status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace distsim::comm

#endif  // DISTSIM_SIM_COMM_GRPC_RING_OUT_STREAM_H_
