#include "sim/comm/grpc_peer_link.h"

#include <grpcpp/grpcpp.h>

#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "distsim/ring.grpc.pb.h"
#include "sim/base/status.h"
#include "sim/comm/frame_mailbox.h"
#include "sim/comm/grpc_ring_out_stream.h"
#include "sim/comm/grpc_ring_wire.h"
#include "sim/comm/grpc_util.h"
#include "sim/comm/run_token.h"

namespace distsim::comm {
namespace {

std::string RankName(int rank) { return absl::StrCat("rank ", rank); }

}  // namespace

int RingMaxMessageBytes(int64_t max_frame_bytes) {
  return static_cast<int>(max_frame_bytes + kRingMaxHeaderBytes + 64);
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
    const absl::Status token =
        CheckRunToken(*context, options.run_token, RankName(options.rank) + "'s ring service");
    if (!token.ok()) {
      FinishOnce(ToGrpc(token));
      return;
    }
    const auto& metadata = context->client_metadata();
    auto rank = metadata.find(kRankMetadataKey);
    int from = -1;
    if (rank == metadata.end() ||
        !absl::SimpleAtoi(std::string(rank->second.data(), rank->second.size()), &from) ||
        from < 0 || from >= options.size || from == options.rank) {
      FinishOnce(grpc::Status(
          grpc::StatusCode::INVALID_ARGUMENT,
          absl::StrCat(RankName(options.rank), ": ring stream without a valid sender rank")));
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
    absl::Status status =
        dumped.ok() ? DecodeRingFrame(*slices, shared_->options.max_frame_bytes, &tag, &frame)
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

absl::StatusOr<RingOutStream*> GrpcPeerLink::StreamTo(int to, absl::Time deadline) {
  RingOutStream* stream = nullptr;
  bool open = false;
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return absl::FailedPreconditionError(RankName(options_.rank) + ": link closed");
    if (addresses_.empty()) {
      return absl::FailedPreconditionError(RankName(options_.rank) + ": Connect() was not called");
    }
    if (streams_[to] == nullptr) {
      streams_[to] = std::make_unique<RingOutStream>(options_, to, addresses_[to]);
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
    return absl::InvalidArgumentError(
        absl::StrCat(RankName(options_.rank), " cannot send to rank ", to));
  }
  if (static_cast<int64_t>(data.size_bytes()) > options_.max_frame_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("a frame of ", data.size_bytes(),
                                                   " bytes exceeds the link's limit of ",
                                                   options_.max_frame_bytes));
  }
  DS_ASSIGN_OR_RETURN(RingOutStream * stream, StreamTo(to, deadline));
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
  std::vector<RingOutStream*> streams;
  {
    absl::MutexLock lock(&mu_);
    closed_ = true;
    for (auto& stream : streams_) {
      if (stream != nullptr) streams.push_back(stream.get());
    }
  }
  for (RingOutStream* stream : streams) stream->Close(deadline);
}

uint64_t GrpcPeerLink::bytes_received() const { return shared_->bytes_received.load(); }

int GrpcPeerLink::blocked_receivers() const { return shared_->mailbox.waiting(); }

}  // namespace distsim::comm
