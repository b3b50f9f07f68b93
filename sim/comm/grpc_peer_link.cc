#include "sim/comm/grpc_peer_link.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <array>
#include <cstring>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "distsim/ring.grpc.pb.h"
#include "sim/base/status.h"
#include "sim/comm/frame_mailbox.h"
#include "sim/comm/grpc_util.h"

namespace distsim::comm {
namespace {

constexpr char kMethod[] = "/distsim.rpc.Ring/Stream";
constexpr char kTokenKey[] = "distsim-run-token";
constexpr char kRankKey[] = "distsim-rank";
constexpr uint64_t kGrpcPrefixBytes = 5;       // gRPC's per-message compression flag + length
// Payloads below this are copied into the message and Send returns without waiting for the
// write; larger ones go out zero-copy from the caller's memory and Send waits for their release.
constexpr size_t kZeroCopyMinBytes = 256 << 10;
constexpr size_t kFixedHeaderBytes = 19;        // fields 1-3 of RingFrame, fixed width
constexpr size_t kMaxHeaderBytes = kFixedHeaderBytes + 1 + 5;  // + field 4's tag and varint

// Hand-encodes RingFrame's fields 1-3 and field 4's tag and length (see ring.proto). Returns the
// header length. Little-endian host assumed (x86, ARM).
size_t EncodeHeader(const FrameTag& tag, uint32_t payload_bytes,
                    std::array<uint8_t, kMaxHeaderBytes>* out) {
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

// Parses a received frame: fills the tag and the payload pieces (views into `slices`).
absl::Status DecodeFrame(const std::vector<grpc::Slice>& slices, int64_t max_frame_bytes,
                         FrameTag* tag, InboundFrame* frame) {
  std::array<uint8_t, kMaxHeaderBytes> head{};
  size_t have = 0, total = 0;
  for (const grpc::Slice& s : slices) {
    total += s.size();
    size_t take = std::min(s.size(), head.size() - have);
    std::memcpy(head.data() + have, s.begin(), take);
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
    return absl::DataLossError(absl::StrCat("ring frame of ", total, " bytes declares a payload of ",
                                            length, " (limit ", max_frame_bytes, ")"));
  }
  size_t skip = n;
  for (const grpc::Slice& s : slices) {
    size_t size = s.size();
    if (skip >= size) {
      skip -= size;
      continue;
    }
    frame->pieces.emplace_back(reinterpret_cast<const std::byte*>(s.begin()) + skip, size - skip);
    skip = 0;
  }
  frame->bytes = length;
  return absl::OkStatus();
}

std::string RankName(int rank) { return absl::StrCat("rank ", rank); }

}  // namespace

int RingMaxMessageBytes(int64_t max_frame_bytes) {
  return static_cast<int>(max_frame_bytes + kMaxHeaderBytes + 64);
}

struct GrpcPeerLink::Shared {
  Shared(const GrpcPeerLinkOptions& o) : options(o), mailbox(o.rank, o.size, o.spin_micros) {}
  const GrpcPeerLinkOptions options;
  FrameMailbox mailbox;
  std::atomic<uint64_t> bytes_received{0};
};

// ---------------------------------------------------------------------------------------------
// Receive side: one reactor per incoming stream, moving each frame into the mailbox at once.

namespace {

class InStream final : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  InStream(grpc::CallbackServerContext* context, std::shared_ptr<GrpcPeerLink::Shared> shared)
      : shared_(std::move(shared)) {
    const auto& options = shared_->options;
    const auto& metadata = context->client_metadata();
    auto token = metadata.find(kTokenKey);
    if (token == metadata.end() ||
        std::string(token->second.data(), token->second.size()) != options.run_token) {
      FinishOnce(grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                              absl::StrCat(RankName(options.rank), " refused a ring stream from ",
                                           context->peer(), ": wrong run token")));
      return;
    }
    auto rank = metadata.find(kRankKey);
    int from = -1;
    if (rank == metadata.end() ||
        !absl::SimpleAtoi(std::string(rank->second.data(), rank->second.size()), &from) ||
        from < 0 || from >= options.size || from == options.rank) {
      FinishOnce(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                              absl::StrCat(RankName(options.rank),
                                           ": ring stream without a valid sender rank")));
      return;
    }
    from_ = from;
    grpc::Slice empty;
    hello_ = grpc::ByteBuffer(&empty, 1);
    StartWrite(&hello_);
    StartRead(&in_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Close(absl::UnavailableError(absl::StrCat(RankName(from_), " closed its ring stream to ",
                                                RankName(shared_->options.rank))),
            grpc::Status::OK);
      return;
    }
    const uint64_t wire = in_.Length() + kGrpcPrefixBytes;
    auto slices = std::make_shared<std::vector<grpc::Slice>>();
    grpc::Status dumped = in_.Dump(slices.get());
    in_.Clear();
    FrameTag tag;
    InboundFrame frame;
    absl::Status status = dumped.ok() ? DecodeFrame(*slices, shared_->options.max_frame_bytes,
                                                    &tag, &frame)
                                      : absl::DataLossError(dumped.error_message());
    if (!status.ok()) {
      status = absl::DataLossError(absl::StrCat("from ", RankName(from_), ": ", status.message()));
      Close(status, ToGrpc(status));
      return;
    }
    frame.owner = std::move(slices);
    frame.wire_bytes = wire;
    shared_->mailbox.Put(from_, tag, std::move(frame));
    StartRead(&in_);
  }

  void OnCancel() override {
    Close(absl::UnavailableError(absl::StrCat("the ring stream from ", RankName(from_), " to ",
                                              RankName(shared_->options.rank),
                                              " broke (peer died or aborted)")),
          grpc::Status::CANCELLED);
  }
  void OnWriteDone(bool) override {}
  void OnDone() override { delete this; }

 private:
  void Close(absl::Status why, grpc::Status finish) {
    if (from_ >= 0) shared_->mailbox.ClosePeer(from_, std::move(why));
    FinishOnce(finish);
  }
  void FinishOnce(grpc::Status status) {
    if (finished_.exchange(true)) return;
    Finish(status);
  }

  std::shared_ptr<GrpcPeerLink::Shared> shared_;
  int from_ = -1;
  grpc::ByteBuffer hello_;
  grpc::ByteBuffer in_;
  std::atomic<bool> finished_{false};
};

}  // namespace

class GrpcPeerLink::RingService final
    : public rpc::Ring::WithRawCallbackMethod_Stream<rpc::Ring::Service> {
 public:
  explicit RingService(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}
  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* Stream(
      grpc::CallbackServerContext* context) override {
    return new InStream(context, shared_);
  }

 private:
  std::shared_ptr<Shared> shared_;
};

// ---------------------------------------------------------------------------------------------
// Send side: one client reactor per destination. A hold keeps the call alive between writes; it
// is released exactly once, by Close or Cancel.

class GrpcPeerLink::OutStream final
    : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  OutStream(const GrpcPeerLinkOptions& options, int to, const std::string& address)
      : options_(options),
        peer_(absl::StrCat(RankName(to), " (", address, ")")),
        stub_(MakeChannel(address, RingMaxMessageBytes(options.max_frame_bytes))) {
    context_.AddMetadata(kTokenKey, options.run_token);
    context_.AddMetadata(kRankKey, std::to_string(options.rank));
    context_.set_wait_for_ready(true);  // the peer's server may still be starting
  }

  ~OutStream() override {
    absl::MutexLock lock(&mu_);
    if (started_) mu_.Await(absl::Condition(this, &OutStream::Finished));
  }

  // Starts the call and waits for the peer's hello (the token was accepted).
  absl::Status Open(absl::Time deadline) {
    stub_.PrepareBidiStreamingCall(&context_, kMethod, grpc::StubOptions(), this);
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
      status = absl::UnavailableError(
          absl::StrCat(peer_, " did not accept the ring stream before the deadline"));
      Cancel();
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

  // Writes one frame; returns once gRPC no longer references `data`. gRPC calls (which may run
  // reactions or the slice release inline) are made without holding mu_.
  absl::Status Write(const FrameTag& tag, std::span<const float> data, absl::Time deadline,
                     const std::atomic<bool>& aborted, uint64_t* wire_bytes) {
    absl::MutexLock write_lock(&write_mu_);
    const size_t bytes = data.size_bytes();
    const bool zero_copy = bytes >= kZeroCopyMinBytes;
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
    std::array<uint8_t, kMaxHeaderBytes> header;
    const size_t header_bytes = EncodeHeader(tag, static_cast<uint32_t>(bytes), &header);
    {
      std::array<grpc::Slice, 2> slices;
      slices[0] = grpc::Slice(header.data(), header_bytes);
      size_t count = 1;
      if (zero_copy) {
        slices[count++] = grpc::Slice(const_cast<float*>(data.data()), bytes,
                                      &OutStream::Released, this);
      } else if (bytes > 0) {
        slices[count++] = grpc::Slice(data.data(), bytes);
      }
      message_ = grpc::ByteBuffer(slices.data(), count);
    }
    StartWrite(&message_);
    *wire_bytes = header_bytes + bytes + kGrpcPrefixBytes;
    // A copied frame no longer needs `data`: return while it is on its way (the next Write, or
    // Close, waits for it; a failure shows there).
    if (!zero_copy) return absl::OkStatus();
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
      return absl::InternalError(absl::StrCat("gRPC kept a payload sent to ", peer_,
                                              " for 10 s after the write completed"));
    }
    if (!ok) return StreamError(aborted);
    return absl::OkStatus();
  }

  // Cancels the call (idempotent; a no-op before Open).
  void Cancel() {
    {
      absl::MutexLock lock(&mu_);
      if (!started_) return;
    }
    context_.TryCancel();
    ReleaseHold();
  }

  // Half-closes the stream and waits for the peer's final status until `deadline`.
  void Close(absl::Time deadline) {
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
      finished = mu_.AwaitWithDeadline(absl::Condition(this, &OutStream::Finished), deadline);
    }
    if (!finished) Cancel();
  }

  void OnReadDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    hello_done_ = true;
    hello_ok_ = ok;
  }
  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    write_done_ = true;
    write_ok_ = ok;
  }
  void OnDone(const grpc::Status& status) override {
    absl::MutexLock lock(&mu_);
    final_status_ = status;
    done_ = true;
  }

 private:
  static void Released(void* self) {
    auto* stream = static_cast<OutStream*>(self);
    absl::MutexLock lock(&stream->mu_);
    --stream->unreleased_;
  }
  bool Finished() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return done_ && unreleased_ == 0; }

  // Releases the hold taken in Open, once.
  void ReleaseHold() {
    {
      absl::MutexLock lock(&mu_);
      if (hold_released_) return;
      hold_released_ = true;
    }
    RemoveHold();
  }

  // The error of a stream that failed or was cancelled. Call without mu_.
  absl::Status StreamError(const std::atomic<bool>& aborted) {
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

  const GrpcPeerLinkOptions& options_;
  const std::string peer_;
  grpc::GenericStub stub_;
  grpc::ClientContext context_;
  grpc::ByteBuffer hello_;
  grpc::ByteBuffer message_;  // the write in flight (guarded by write_mu_)
  absl::Mutex write_mu_;  // one write in flight per stream
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

// ---------------------------------------------------------------------------------------------

GrpcPeerLink::GrpcPeerLink(GrpcPeerLinkOptions options)
    : options_(std::move(options)),
      shared_(std::make_shared<Shared>(options_)),
      service_(std::make_unique<RingService>(shared_)) {
  absl::MutexLock lock(&mu_);
  streams_.resize(options_.size);
}

GrpcPeerLink::~GrpcPeerLink() {
  Close(absl::Now() + absl::Seconds(2));
  absl::MutexLock lock(&mu_);
  streams_.clear();  // each waits for its call to end
}

grpc::Service* GrpcPeerLink::service() { return service_.get(); }

absl::Status GrpcPeerLink::Connect(const std::vector<std::string>& peer_addresses,
                                   absl::Time deadline) {
  if (static_cast<int>(peer_addresses.size()) != options_.size) {
    return absl::InvalidArgumentError(absl::StrCat(RankName(options_.rank), ": peer table has ",
                                                   peer_addresses.size(), " entries for ",
                                                   options_.size, " ranks"));
  }
  {
    absl::MutexLock lock(&mu_);
    addresses_ = peer_addresses;
  }
  if (options_.size == 1) return absl::OkStatus();
  return StreamTo((options_.rank + 1) % options_.size, deadline).status();
}

absl::StatusOr<GrpcPeerLink::OutStream*> GrpcPeerLink::StreamTo(int to, absl::Time deadline) {
  OutStream* stream = nullptr;
  bool open = false;
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return absl::FailedPreconditionError(RankName(options_.rank) + ": link closed");
    if (addresses_.empty()) {
      return absl::FailedPreconditionError(RankName(options_.rank) + ": Connect() was not called");
    }
    if (streams_[to] == nullptr) {
      streams_[to] = std::make_unique<OutStream>(options_, to, addresses_[to]);
      open = true;
    }
    stream = streams_[to].get();
  }
  if (open) {
    absl::Status status = stream->Open(deadline);
    if (aborted_.load()) return absl::CancelledError(RankName(options_.rank) + ": link aborted");
    DS_RETURN_IF_ERROR(status);
  }
  return stream;
}

absl::Status GrpcPeerLink::Send(int to, const FrameTag& tag, std::span<const float> data,
                                absl::Time deadline) {
  if (aborted_.load()) return absl::CancelledError(RankName(options_.rank) + ": link aborted");
  if (to < 0 || to >= options_.size || to == options_.rank) {
    return absl::InvalidArgumentError(absl::StrCat(RankName(options_.rank),
                                                   " cannot send to rank ", to));
  }
  if (static_cast<int64_t>(data.size_bytes()) > options_.max_frame_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("a frame of ", data.size_bytes(),
                                                   " bytes exceeds the link's limit of ",
                                                   options_.max_frame_bytes));
  }
  DS_ASSIGN_OR_RETURN(OutStream * stream, StreamTo(to, deadline));
  uint64_t wire = 0;
  DS_RETURN_IF_ERROR(stream->Write(tag, data, deadline, aborted_, &wire));
  bytes_sent_ += wire;
  return absl::OkStatus();
}

absl::Status GrpcPeerLink::Recv(int from, const FrameTag& tag, std::span<float> out,
                                absl::Time deadline, RecvMode mode) {
  // Bytes count when a frame is consumed, not when it arrives: a neighbour running ahead must
  // not charge its next step's frames to this one.
  uint64_t wire = 0;
  absl::Status status = shared_->mailbox.Take(from, tag, out, mode, deadline, &wire);
  shared_->bytes_received += wire;
  return status;
}

void GrpcPeerLink::Abort() {
  aborted_ = true;
  shared_->mailbox.Abort();
  absl::MutexLock lock(&mu_);
  for (auto& stream : streams_) {
    if (stream != nullptr) stream->Cancel();
  }
}

void GrpcPeerLink::Close(absl::Time deadline) {
  std::vector<OutStream*> streams;
  {
    absl::MutexLock lock(&mu_);
    closed_ = true;
    for (auto& stream : streams_) {
      if (stream != nullptr) streams.push_back(stream.get());
    }
  }
  for (OutStream* stream : streams) stream->Close(deadline);
}

uint64_t GrpcPeerLink::bytes_received() const { return shared_->bytes_received.load(); }

}  // namespace distsim::comm
