#include "sim/comm/grpc_ring_out_stream.h"

#include <array>

#include "absl/strings/str_cat.h"
#include "sim/comm/grpc_ring_wire.h"
#include "sim/comm/grpc_util.h"
#include "sim/comm/run_token.h"

namespace distsim::comm {

RingOutStream::RingOutStream(const GrpcPeerLinkOptions& options, int to, const std::string& address)
    : options_(options),
      peer_(absl::StrCat("rank ", to, " (", address, ")")),
      channel_(MakeChannel(address, RingMaxMessageBytes(options.max_frame_bytes), options.tls)),
      stub_(channel_) {
  AttachRunToken(&context_, options.run_token);
  context_.AddMetadata(kRankMetadataKey, std::to_string(options.rank));
  context_.set_wait_for_ready(true);  // the peer's server may still be starting
}

RingOutStream::~RingOutStream() {
  absl::MutexLock lock(&mu_);
  if (started_) mu_.Await(absl::Condition(this, &RingOutStream::Finished));
}

absl::Status RingOutStream::Open(absl::Time deadline) {
  stub_.PrepareBidiStreamingCall(&context_, kRingStreamMethod, grpc::StubOptions(), this);
  AddHold();
  StartRead(&hello_);
  {
    absl::MutexLock lock(&mu_);
    started_ = true;
  }
  StartCall();
  bool answered_in_time, hello_ok;
  {
    absl::MutexLock lock(&mu_);
    auto answered = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return hello_done_ || done_; };
    answered_in_time = mu_.AwaitWithDeadline(absl::Condition(&answered), deadline);
    hello_ok = hello_done_ && hello_ok_;
  }
  absl::Status status;
  if (!answered_in_time) {
    Cancel();
    status = absl::UnavailableError(
        absl::StrCat(peer_, " did not accept the ring stream before the deadline",
                     WhyNotConnected(*channel_, options_.tls)));
  } else if (!hello_ok) {
    ReleaseHold();
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&done_));
    status = FromGrpc(final_status_, peer_, "Ring.Stream");
    if (status.ok()) status = absl::UnavailableError(peer_ + " ended the ring stream");
  }
  absl::MutexLock lock(&mu_);
  open_status_ = status;
  opened_ = true;
  return status;
}

absl::Status RingOutStream::Write(const FrameTag& tag, std::span<const float> data,
                                  absl::Time deadline, const std::atomic<bool>& aborted,
                                  uint64_t* wire_bytes) {
  absl::MutexLock write_lock(&write_mu_);
  const bool zero_copy = data.size_bytes() >= kZeroCopyMinBytes;
  if (absl::Status turn = AwaitTurn(zero_copy, deadline, aborted); !turn.ok()) return turn;
  *wire_bytes = StartFrameWrite(tag, data, zero_copy);
  // A copied frame no longer needs `data`: return while it is on its way (the next Write, or
  // Close, waits for it; a failure shows there).
  if (!zero_copy) return absl::OkStatus();
  return AwaitRelease(deadline, aborted);
}

absl::Status RingOutStream::AwaitTurn(bool zero_copy, absl::Time deadline,
                                      const std::atomic<bool>& aborted) {
  bool broken, in_time;
  {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&opened_));
    if (!open_status_.ok()) return open_status_;
    // A copied frame's write may still be in flight: one write at a time per stream.
    in_time = mu_.AwaitWithDeadline(absl::Condition(&write_done_), deadline);
    if (!in_time) timed_out_ = true;
    broken = hold_released_ || done_ || !write_ok_ || !in_time;
    if (!broken) {
      write_done_ = false;
      if (zero_copy) ++unreleased_;
    }
  }
  if (!in_time) Cancel();
  if (broken) return StreamError(aborted);
  return absl::OkStatus();
}

uint64_t RingOutStream::StartFrameWrite(const FrameTag& tag, std::span<const float> data,
                                        bool zero_copy) {
  const size_t bytes = data.size_bytes();
  std::array<uint8_t, kRingMaxHeaderBytes> header;
  const size_t header_bytes = EncodeRingHeader(tag, static_cast<uint32_t>(bytes), &header);
  {
    std::array<grpc::Slice, 2> slices;
    slices[0] = grpc::Slice(header.data(), header_bytes);
    size_t count = 1;
    if (zero_copy) {
      slices[count++] =
          grpc::Slice(const_cast<float*>(data.data()), bytes, &RingOutStream::Released, this);
    } else if (bytes > 0) {
      slices[count++] = grpc::Slice(data.data(), bytes);
    }
    message_ = grpc::ByteBuffer(slices.data(), count);
  }
  StartWrite(&message_);
  return header_bytes + bytes + kGrpcPrefixBytes;
}

absl::Status RingOutStream::AwaitRelease(absl::Time deadline, const std::atomic<bool>& aborted) {
  bool in_time;
  {
    absl::MutexLock lock(&mu_);
    in_time = mu_.AwaitWithDeadline(absl::Condition(&write_done_), deadline);
    if (!in_time) timed_out_ = true;
  }
  if (!in_time) Cancel();
  bool ok, released;
  {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&write_done_));
    ok = write_ok_ && !timed_out_;
  }
  message_.Clear();  // may drop the last reference to the payload (Released runs here)
  {
    absl::MutexLock lock(&mu_);
    auto none_held = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return unreleased_ == 0; };
    released = mu_.AwaitWithTimeout(absl::Condition(&none_held), absl::Seconds(10));
  }
  if (!released) {
    Cancel();
    return absl::InternalError(
        absl::StrCat("gRPC kept a payload sent to ", peer_, " for 10 s after the write completed"));
  }
  if (!ok) return StreamError(aborted);
  return absl::OkStatus();
}

void RingOutStream::Cancel() {
  {
    absl::MutexLock lock(&mu_);
    if (!started_) return;
  }
  context_.TryCancel();
  ReleaseHold();
}

void RingOutStream::Close(absl::Time deadline) {
  bool release;
  {
    absl::MutexLock lock(&mu_);
    if (!started_) return;
    mu_.Await(absl::Condition(&opened_));
    mu_.AwaitWithDeadline(absl::Condition(&write_done_), deadline);
    release = !hold_released_;
    hold_released_ = true;
  }
  if (release) {
    StartWritesDone();
    RemoveHold();
  }
  bool finished;
  {
    absl::MutexLock lock(&mu_);
    finished = mu_.AwaitWithDeadline(absl::Condition(this, &RingOutStream::Finished), deadline);
  }
  if (!finished) Cancel();
}

void RingOutStream::OnReadDone(bool ok) {
  absl::MutexLock lock(&mu_);
  hello_done_ = true;
  hello_ok_ = ok;
}

void RingOutStream::OnWriteDone(bool ok) {
  absl::MutexLock lock(&mu_);
  write_done_ = true;
  write_ok_ = ok;
}

void RingOutStream::OnDone(const grpc::Status& status) {
  absl::MutexLock lock(&mu_);
  final_status_ = status;
  done_ = true;
}

void RingOutStream::Released(void* self) {
  auto* stream = static_cast<RingOutStream*>(self);
  absl::MutexLock lock(&stream->mu_);
  --stream->unreleased_;
}

void RingOutStream::ReleaseHold() {
  {
    absl::MutexLock lock(&mu_);
    if (hold_released_) return;
    hold_released_ = true;
  }
  RemoveHold();
}

absl::Status RingOutStream::StreamError(const std::atomic<bool>& aborted) {
  if (aborted.load()) return absl::CancelledError(absl::StrCat("send to ", peer_, ": aborted"));
  {
    absl::MutexLock lock(&mu_);
    if (timed_out_) {
      return absl::DeadlineExceededError(
          absl::StrCat(peer_, " did not take a ring frame before the deadline"));
    }
  }
  ReleaseHold();
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&done_), absl::Seconds(2));
  if (done_ && !final_status_.ok()) return FromGrpc(final_status_, peer_, "Ring.Stream");
  return absl::UnavailableError(absl::StrCat("the ring stream to ", peer_, " is closed"));
}

}  // namespace distsim::comm
