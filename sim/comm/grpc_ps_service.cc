// The server half of the gRPC parameter-server transport (grpc_ps.h): PsService and its reactors.
//
// Every method is a callback (reactor) method, so the service takes no thread of the server's
// synchronous pool: reactions run on gRPC's callback threads and do only bounded work (check a
// token, apply or copy one chunk). A pull that is not ready is parked (pull_parking.h) and holds
// no thread. Client cancellation and server shutdown (which cancels calls) unpark and finish a
// parked pull at once (OnCancel).
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "distsim/ps.grpc.pb.h"
#include "sim/comm/grpc_ps.h"
#include "sim/comm/grpc_ps_wire.h"
#include "sim/comm/grpc_util.h"
#include "sim/comm/ps_push_stream.h"
#include "sim/comm/pull_parking.h"
#include "sim/comm/run_token.h"

namespace distsim::comm {

int PsMaxMessageBytes(int64_t chunk_bytes) {
  return static_cast<int>(std::min<int64_t>(INT_MAX, chunk_bytes + (64 << 10)));
}

int PsServerThreads(int /*workers*/) { return 2; }

class PsService::Impl final : public rpc::ParameterServer::CallbackService {
 public:
  Impl(PsShardHandler* shard, std::string token)
      : shard_(shard),
        token_(std::move(token)),
        name_(absl::StrCat("parameter server shard ", shard->shard_id())),
        parking_([this](int worker, uint64_t clock) { return Check(worker, clock); }) {
    parking_.Start(shard_->SetChangeListener([this] { parking_.Changed(); }));
  }

  ~Impl() override {
    shard_->SetChangeListener(nullptr);  // once this returns, no Changed() is running
    parking_.Stop();
  }

  grpc::ServerReadReactor<rpc::PsPushChunk>* Push(grpc::CallbackServerContext* context,
                                                  rpc::PsPushReply* reply) override;

  grpc::ServerWriteReactor<rpc::PsPullChunk>* Pull(grpc::CallbackServerContext* context,
                                                   const rpc::PsPullRequest* request) override;

  grpc::ServerUnaryReactor* Done(grpc::CallbackServerContext* context,
                                 const rpc::PsDoneRequest* request, rpc::PsDoneReply*) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    grpc::Status status = CheckToken(*context);
    if (status.ok()) status = ToGrpc(shard_->WorkerDone(static_cast<int>(request->worker())));
    reactor->Finish(status);
    return reactor;
  }

  grpc::ServerUnaryReactor* Rejoin(grpc::CallbackServerContext* context,
                                   const rpc::PsRejoinRequest* request,
                                   rpc::PsRejoinReply* reply) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    grpc::Status status = CheckToken(*context);
    absl::StatusOr<RejoinPoint> point = absl::CancelledError();
    if (status.ok()) point = shard_->Rejoin(static_cast<int>(request->worker()));
    if (status.ok() && !point.ok()) status = ToGrpc(point.status());
    if (status.ok()) {
      reply->set_clock(point->clock);
      reply->set_cut(point->cut);
    }
    reactor->Finish(status);
    return reactor;
  }

  grpc::ServerReadReactor<rpc::PsPushChunk>* Discard(grpc::CallbackServerContext* context,
                                                     rpc::PsPushReply* reply) override;

  int num_waiting() const { return parking_.size(); }

 private:
  class PushReactor;
  class PullReactor;
  class DiscardReactor;

  grpc::Status CheckToken(const grpc::CallbackServerContext& context) const {
    return ToGrpc(CheckRunToken(context, token_, name_));
  }

  // Readiness of `worker` at `clock` now, without waiting.
  absl::StatusOr<PullGrant> Check(int worker, uint64_t clock) {
    return shard_->WaitPull(worker, clock, absl::ZeroDuration());
  }

  PsShardHandler* const shard_;
  const std::string token_;
  const std::string name_;  // "parameter server shard s"
  std::atomic<uint64_t> next_id_{1};
  MessagePool<rpc::PsPushChunk> push_messages_;
  MessagePool<rpc::PsPullChunk> pull_messages_;
  PullParking parking_;  // last: stopped before the pools it answers from go
};

// A push: chunks are applied as they are read; the reply once the last is in.
class PsService::Impl::PushReactor final : public grpc::ServerReadReactor<rpc::PsPushChunk> {
 public:
  PushReactor(Impl* service, const grpc::CallbackServerContext& context, rpc::PsPushReply* reply)
      : service_(service), context_(context), reply_(reply), stream_(service->shard_) {
    if (grpc::Status s = service_->CheckToken(context); !s.ok()) {
      Finish(s);
      return;
    }
    message_ = service_->push_messages_.Take();
    StartRead(message_.get());
  }

  void OnReadDone(bool ok) override {
    grpc::Status status = ok ? Apply() : End();
    if (ok && status.ok()) {
      StartRead(message_.get());
    } else {
      Finish(status);
    }
  }

  void OnDone() override {
    service_->push_messages_.Give(std::move(message_));
    delete this;
  }

 private:
  grpc::Status Apply() {
    const rpc::PsPushChunk& message = *message_;
    return ToGrpc(stream_.Add({.worker = message.worker(),
                               .clock = message.clock(),
                               .pulled_version = message.pulled_version(),
                               .chunk = message.chunk(),
                               .data = message.data()}));
  }

  // The client closed its stream (or the call ended).
  grpc::Status End() {
    if (context_.IsCancelled()) return grpc::Status::CANCELLED;
    absl::StatusOr<PushAck> ack = stream_.Finish();
    if (!ack.ok()) return ToGrpc(ack.status());
    reply_->set_staleness(ack->staleness);
    reply_->set_version(ack->version);
    return grpc::Status::OK;
  }

  Impl* const service_;
  const grpc::CallbackServerContext& context_;
  rpc::PsPushReply* const reply_;
  std::unique_ptr<rpc::PsPushChunk> message_;
  PushStream stream_;  // the checks and the shard calls of this push
};

// A pull: answered at once if ready (or failing), else parked until the notifier or OnCancel
// takes it out. Exactly one party answers: whoever did not park it, or took it out of parking_.
class PsService::Impl::PullReactor final : public grpc::ServerWriteReactor<rpc::PsPullChunk>,
                                           public ParkedPull {
 public:
  PullReactor(Impl* service, const grpc::CallbackServerContext& context,
              const rpc::PsPullRequest& request)
      : service_(service), id_(service->next_id_++), start_(absl::Now()) {
    if (grpc::Status s = service_->CheckToken(context); !s.ok()) {
      Finish(s);
      return;
    }
    const int worker = static_cast<int>(request.worker());
    absl::StatusOr<PullGrant> grant = service_->Check(worker, request.clock());
    if (!grant.ok() || grant->ready || request.wait_ms() == 0) {
      Answer(std::move(grant));
      return;
    }
    const absl::Duration wait = absl::Milliseconds(std::min(request.wait_ms(), kMaxPollMs));
    service_->parking_.Park(id_, this, worker, request.clock(), start_ + wait);
    // A change between the check above and Park notified nobody about this pull: check again.
    grant = service_->Check(worker, request.clock());
    if ((!grant.ok() || grant->ready) && service_->parking_.Unpark(id_)) Answer(std::move(grant));
  }

  // Ends the long poll with `grant`: an error, "not ready", or the parameters.
  void Answer(absl::StatusOr<PullGrant> grant) override {
    if (!grant.ok()) {
      Finish(ToGrpc(grant.status()));
      return;
    }
    message_ = service_->pull_messages_.Take();
    message_->Clear();
    message_->set_ready(grant->ready);
    message_->set_version(grant->version);
    message_->set_blocker(grant->blocker);
    message_->set_blocker_clock(grant->blocker_clock);
    message_->set_progress(grant->progress);
    message_->set_waited_us(absl::ToInt64Microseconds(absl::Now() - start_));
    num_chunks_ = grant->ready ? service_->shard_->num_chunks() : 0;
    if (num_chunks_ == 0) {
      StartWrite(message_.get());  // the only message
      return;
    }
    WriteNextChunk();
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {  // the client went away
      Finish(grpc::Status::CANCELLED);
      return;
    }
    if (next_chunk_ >= num_chunks_) {
      Finish(grpc::Status::OK);
      return;
    }
    if (next_chunk_ == 1) {  // only the first message carries the grant
      message_->clear_ready();
      message_->clear_version();
      message_->clear_blocker();
      message_->clear_blocker_clock();
      message_->clear_progress();
      message_->clear_waited_us();
    }
    WriteNextChunk();
  }

  void OnCancel() override {
    if (service_->parking_.Unpark(id_)) Finish(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    service_->pull_messages_.Give(std::move(message_));
    delete this;
  }

 private:
  void WriteNextChunk() {
    const int c = next_chunk_++;
    const int64_t size = service_->shard_->size(), chunk_elems = service_->shard_->chunk_elems();
    const int64_t n = std::min(chunk_elems, size - c * chunk_elems);
    message_->set_chunk(c);
    absl::Status status =
        service_->shard_->ReadChunk(c, ResizeAsFloats(message_->mutable_data(), n));
    if (!status.ok()) {
      Finish(ToGrpc(status));
      return;
    }
    StartWrite(message_.get());
  }

  Impl* const service_;
  const uint64_t id_;
  const absl::Time start_;
  std::unique_ptr<rpc::PsPullChunk> message_;
  int num_chunks_ = 0;
  int next_chunk_ = 0;
};

// Reads and drops a stream (bench/ps_bench.cc's transport ceiling).
class PsService::Impl::DiscardReactor final : public grpc::ServerReadReactor<rpc::PsPushChunk> {
 public:
  DiscardReactor(Impl* service, const grpc::CallbackServerContext& context)
      : service_(service), context_(context) {
    if (grpc::Status s = service_->CheckToken(context); !s.ok()) {
      Finish(s);
      return;
    }
    message_ = service_->push_messages_.Take();
    StartRead(message_.get());
  }

  void OnReadDone(bool ok) override {
    if (ok) {
      StartRead(message_.get());
      return;
    }
    Finish(context_.IsCancelled() ? grpc::Status::CANCELLED : grpc::Status::OK);
  }

  void OnDone() override {
    service_->push_messages_.Give(std::move(message_));
    delete this;
  }

 private:
  Impl* const service_;
  const grpc::CallbackServerContext& context_;
  std::unique_ptr<rpc::PsPushChunk> message_;
};

grpc::ServerReadReactor<rpc::PsPushChunk>* PsService::Impl::Push(
    grpc::CallbackServerContext* context, rpc::PsPushReply* reply) {
  return new PushReactor(this, *context, reply);
}

grpc::ServerWriteReactor<rpc::PsPullChunk>* PsService::Impl::Pull(
    grpc::CallbackServerContext* context, const rpc::PsPullRequest* request) {
  return new PullReactor(this, *context, *request);
}

grpc::ServerReadReactor<rpc::PsPushChunk>* PsService::Impl::Discard(
    grpc::CallbackServerContext* context, rpc::PsPushReply*) {
  return new DiscardReactor(this, *context);
}

PsService::PsService(PsShardHandler* shard, std::string run_token)
    : impl_(std::make_unique<Impl>(shard, std::move(run_token))) {}
PsService::~PsService() = default;
grpc::Service* PsService::service() { return impl_.get(); }
int PsService::num_waiting_pulls() const { return impl_->num_waiting(); }

}  // namespace distsim::comm
