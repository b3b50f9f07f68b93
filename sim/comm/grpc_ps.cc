#include "sim/comm/grpc_ps.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstring>
#include <map>
#include <memory>
#include <string_view>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "distsim/ps.grpc.pb.h"
#include "sim/base/check.h"
#include "sim/base/status.h"
#include "sim/comm/grpc_util.h"

namespace distsim::comm {
namespace {

constexpr char kTokenKey[] = "distsim-run-token";
constexpr char kRankKey[] = "distsim-rank";
constexpr int kFramePrefix = 5;  // gRPC's per-message prefix: compressed flag + 4-byte length
constexpr uint32_t kMaxPollMs = 1000;

uint64_t WireBytes(const google::protobuf::Message& message) {
  return message.ByteSizeLong() + kFramePrefix;
}

// Floats of a `bytes` field. Protobuf strings of chunk size are heap blocks (16-byte aligned);
// the check guards the rare small string stored elsewhere.
std::span<const float> AsFloats(const std::string& data, std::vector<float>* scratch) {
  const size_t n = data.size() / sizeof(float);
  if (reinterpret_cast<uintptr_t>(data.data()) % alignof(float) == 0) {
    return {reinterpret_cast<const float*>(data.data()), n};
  }
  scratch->resize(n);
  std::memcpy(scratch->data(), data.data(), n * sizeof(float));
  return *scratch;
}

std::span<float> ResizeAsFloats(std::string* data, int64_t n) {
  data->resize(n * sizeof(float));
  DS_CHECK(reinterpret_cast<uintptr_t>(data->data()) % alignof(float) == 0);
  return {reinterpret_cast<float*>(data->data()), static_cast<size_t>(n)};
}

}  // namespace

int PsMaxMessageBytes(int64_t chunk_bytes) {
  return static_cast<int>(std::min<int64_t>(INT_MAX, chunk_bytes + (64 << 10)));
}

int PsServerThreads(int /*workers*/) { return 2; }

// ---------------------------------------------------------------------------------------------
// Server.
//
// Every method is a callback (reactor) method, so the service takes no thread of the server's
// synchronous pool: reactions run on gRPC's callback threads and do only bounded work (check a
// token, apply or copy one chunk). A pull that is not ready is parked in `waiters_` and holds no
// thread; the service's one notifier thread re-checks parked pulls whenever the shard reports a
// change (PsShardHandler::SetChangeListener) and answers each once it is ready, failed (abort)
// or at the end of its long poll. Client cancellation and server shutdown (which cancels calls)
// unpark and finish a waiter at once (OnCancel).

namespace {

// Chunk-sized messages reused from call to call, so that steady-state pushes and pulls do not
// allocate (and first-touch) megabytes. Thread-safe.
template <typename Message>
class MessagePool {
 public:
  std::unique_ptr<Message> Take() {
    absl::MutexLock lock(&mu_);
    if (free_.empty()) return std::make_unique<Message>();
    std::unique_ptr<Message> message = std::move(free_.back());
    free_.pop_back();
    return message;
  }
  void Give(std::unique_ptr<Message> message) {
    if (message == nullptr) return;
    absl::MutexLock lock(&mu_);
    if (free_.size() < kMaxFree) free_.push_back(std::move(message));
  }

 private:
  static constexpr size_t kMaxFree = 8;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<Message>> free_ ABSL_GUARDED_BY(mu_);
};

// Without change notifications from the shard, parked pulls are re-checked this often.
constexpr absl::Duration kFallbackRecheck = absl::Milliseconds(5);

}  // namespace

class PsService::Impl final : public rpc::ParameterServer::CallbackService {
 public:
  Impl(PsShardHandler* shard, std::string token) : shard_(shard), token_(std::move(token)) {
    notified_ = shard_->SetChangeListener([this] { OnShardChange(); });
    notifier_ = std::thread([this] { NotifierLoop(); });
  }

  ~Impl() override {
    shard_->SetChangeListener(nullptr);  // once this returns, OnShardChange is not running
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
      wake_.Signal();
    }
    notifier_.join();
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

  grpc::ServerReadReactor<rpc::PsPushChunk>* Discard(grpc::CallbackServerContext* context,
                                                     rpc::PsPushReply* reply) override;

  int num_waiting() const {
    absl::MutexLock lock(&mu_);
    return static_cast<int>(waiters_.size());
  }

 private:
  class PushReactor;
  class PullReactor;
  class DiscardReactor;

  struct Waiter {
    PullReactor* reactor;
    int worker;
    uint64_t clock;
    absl::Time deadline;  // end of the long poll: answered "not ready" then
  };

  grpc::Status CheckToken(const grpc::CallbackServerContext& context) const {
    const auto& metadata = context.client_metadata();
    auto it = metadata.find(kTokenKey);
    if (it != metadata.end() && std::string_view(it->second.data(), it->second.size()) == token_) {
      return grpc::Status::OK;
    }
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        absl::StrCat("parameter server shard ", shard_->shard_id(),
                                     " refused a call with a wrong run token (another run?)"));
  }

  // Readiness of `worker` at `clock` now, without waiting.
  absl::StatusOr<PullGrant> Check(int worker, uint64_t clock) {
    return shard_->WaitPull(worker, clock, absl::ZeroDuration());
  }

  // Parks `waiter` under `id` until the notifier or Unpark takes it out.
  void Park(uint64_t id, const Waiter& waiter) {
    absl::MutexLock lock(&mu_);
    waiters_.emplace(id, waiter);
    wake_.Signal();  // its deadline may be the earliest
  }

  // Takes waiter `id` out; true if it was parked (the caller now answers it), false if someone
  // else took it first (or it never was parked).
  bool Unpark(uint64_t id) {
    absl::MutexLock lock(&mu_);
    return waiters_.erase(id) > 0;
  }

  // The shard's listener: runs on whichever thread changed the shard, without its lock.
  void OnShardChange() {
    absl::MutexLock lock(&mu_);
    if (waiters_.empty()) return;  // a pull parking later re-checks by itself
    changed_ = true;
    wake_.Signal();
  }

  void NotifierLoop();

  PsShardHandler* const shard_;
  const std::string token_;
  bool notified_ = false;  // the shard reports changes (else parked pulls are polled)
  std::atomic<uint64_t> next_id_{1};
  MessagePool<rpc::PsPushChunk> push_messages_;
  MessagePool<rpc::PsPullChunk> pull_messages_;

  mutable absl::Mutex mu_;
  absl::CondVar wake_;  // a change, a new waiter, or stopping
  std::map<uint64_t, Waiter> waiters_ ABSL_GUARDED_BY(mu_);
  bool changed_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread notifier_;
};

// A push: chunks are applied as they are read; the reply once the last is in.
class PsService::Impl::PushReactor final : public grpc::ServerReadReactor<rpc::PsPushChunk> {
 public:
  PushReactor(Impl* service, const grpc::CallbackServerContext& context, rpc::PsPushReply* reply)
      : service_(service), context_(context), reply_(reply) {
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
    if (!any_) {
      any_ = true;
      worker_ = message.worker();
      clock_ = message.clock();
      pulled_version_ = message.pulled_version();
    }
    if (message.data().empty()) return grpc::Status::OK;  // header of a push to an empty shard
    if (message.data().size() % sizeof(float) != 0 || message.worker() != worker_ ||
        message.clock() != clock_) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          absl::StrCat("malformed push chunk ", message.chunk(), " from worker ",
                                       message.worker()));
    }
    return ToGrpc(service_->shard_->PushChunk(static_cast<int>(worker_), clock_,
                                              static_cast<int>(message.chunk()),
                                              AsFloats(message.data(), &scratch_)));
  }

  // The client closed its stream (or the call ended).
  grpc::Status End() {
    if (context_.IsCancelled()) return grpc::Status::CANCELLED;
    if (!any_) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "push without any message");
    }
    absl::StatusOr<PushAck> ack =
        service_->shard_->FinishPush(static_cast<int>(worker_), clock_, pulled_version_);
    if (!ack.ok()) return ToGrpc(ack.status());
    reply_->set_staleness(ack->staleness);
    reply_->set_version(ack->version);
    return grpc::Status::OK;
  }

  Impl* const service_;
  const grpc::CallbackServerContext& context_;
  rpc::PsPushReply* const reply_;
  std::unique_ptr<rpc::PsPushChunk> message_;
  std::vector<float> scratch_;
  bool any_ = false;
  uint32_t worker_ = 0;
  uint64_t clock_ = 0, pulled_version_ = 0;
};

// A pull: answered at once if ready (or failing), else parked until the notifier or OnCancel
// takes it out. Exactly one party answers: whoever did not park it or took it out of waiters_.
class PsService::Impl::PullReactor final : public grpc::ServerWriteReactor<rpc::PsPullChunk> {
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
    service_->Park(id_, Waiter{this, worker, request.clock(), start_ + wait});
    // A change between the check above and Park notified nobody about this pull: check again.
    grant = service_->Check(worker, request.clock());
    if ((!grant.ok() || grant->ready) && service_->Unpark(id_)) Answer(std::move(grant));
  }

  // Ends the long poll with `grant`: an error, "not ready", or the parameters.
  void Answer(absl::StatusOr<PullGrant> grant) {
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
    if (service_->Unpark(id_)) Finish(grpc::Status::CANCELLED);
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
    absl::Status status = service_->shard_->ReadChunk(c, ResizeAsFloats(message_->mutable_data(), n));
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

void PsService::Impl::NotifierLoop() {
  struct Candidate {
    uint64_t id;
    int worker;
    uint64_t clock;
    bool expired;
  };
  std::vector<Candidate> candidates;
  std::vector<std::pair<uint64_t, absl::StatusOr<PullGrant>>> resolved;
  std::vector<std::pair<PullReactor*, absl::StatusOr<PullGrant>>> answers;
  absl::Time last_check = absl::InfinitePast();
  mu_.Lock();
  while (!stopping_) {
    absl::Time wake = absl::InfiniteFuture();
    for (const auto& [id, waiter] : waiters_) wake = std::min(wake, waiter.deadline);
    if (!notified_ && !waiters_.empty()) wake = std::min(wake, last_check + kFallbackRecheck);
    if (!changed_ && absl::Now() < wake) {
      wake_.WaitWithDeadline(&mu_, wake);
      continue;  // woken by a change, a new waiter, stopping, the deadline, or spuriously
    }
    // Re-check every parked pull after a change, else only those whose poll has ended.
    const bool all = changed_ || !notified_;
    changed_ = false;
    const absl::Time now = absl::Now();
    last_check = now;
    candidates.clear();
    for (const auto& [id, waiter] : waiters_) {
      const bool expired = waiter.deadline <= now;
      if (all || expired) candidates.push_back({id, waiter.worker, waiter.clock, expired});
    }
    mu_.Unlock();
    // The shard is consulted, and reactors answered, without mu_ (OnCancel takes it).
    resolved.clear();
    for (const Candidate& c : candidates) {
      absl::StatusOr<PullGrant> grant = Check(c.worker, c.clock);
      if (!grant.ok() || grant->ready || c.expired) resolved.emplace_back(c.id, std::move(grant));
    }
    answers.clear();
    if (!resolved.empty()) {
      absl::MutexLock lock(&mu_);
      for (auto& [id, grant] : resolved) {
        auto it = waiters_.find(id);
        if (it == waiters_.end()) continue;  // cancelled meanwhile: OnCancel finished it
        answers.emplace_back(it->second.reactor, std::move(grant));
        waiters_.erase(it);
      }
    }
    for (auto& [reactor, grant] : answers) reactor->Answer(std::move(grant));
    mu_.Lock();
  }
  mu_.Unlock();
}

PsService::PsService(PsShardHandler* shard, std::string run_token)
    : impl_(std::make_unique<Impl>(shard, std::move(run_token))) {}
PsService::~PsService() = default;
grpc::Service* PsService::service() { return impl_.get(); }
int PsService::num_waiting_pulls() const { return impl_->num_waiting(); }

// ---------------------------------------------------------------------------------------------
// Client.

namespace {

struct ShardConnection {
  std::string name;  // "parameter server shard s (host:port)"
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<rpc::ParameterServer::Stub> stub;
};

// Runs fn(s) for s in [0, n), s > 0 on threads of their own. Returns the first error, preferring
// any other code over Cancelled (which is usually a consequence).
template <typename Fn>
absl::Status ForEachShard(int n, Fn fn) {
  std::vector<absl::Status> statuses(n);
  std::vector<std::thread> threads;
  for (int s = 1; s < n; ++s) threads.emplace_back([&, s] { statuses[s] = fn(s); });
  if (n > 0) statuses[0] = fn(0);
  for (std::thread& t : threads) t.join();
  absl::Status first;
  for (const absl::Status& status : statuses) {
    if (status.ok()) continue;
    if (first.ok() || (absl::IsCancelled(first) && !absl::IsCancelled(status))) first = status;
  }
  return first;
}

class GrpcPsClient final : public PsClient {
 public:
  GrpcPsClient(const PsClientOptions& options, const GrpcPsClientOptions& grpc_options,
               std::vector<ShardConnection> shards)
      : options_(options), grpc_options_(grpc_options), shards_(std::move(shards)),
        chunk_elems_(ChunkElems(options.chunk_bytes)), buffers_(shards_.size()) {}

  absl::Status Pull(uint64_t clock, std::span<float> params, PullResult* result) override {
    DS_CHECK(static_cast<int64_t>(params.size()) == options_.total_elems);
    const int n = num_shards();
    result->versions.assign(n, 0);
    std::vector<double> waits(n, 0.0);
    absl::Status status = ForEachShard(n, [&](int s) {
      return PullShard(s, clock, params, &result->versions[s], &waits[s]);
    });
    result->wait_s = n == 0 ? 0.0 : *std::max_element(waits.begin(), waits.end());
    return status;
  }

  absl::Status Push(uint64_t clock, std::span<const float> grads,
                    std::span<const uint64_t> versions, PushResult* result) override {
    DS_CHECK(static_cast<int64_t>(grads.size()) == options_.total_elems);
    DS_CHECK(static_cast<int>(versions.size()) == num_shards());
    std::vector<uint64_t> staleness(num_shards(), 0), version(num_shards(), 0);
    absl::Status status = ForEachShard(num_shards(), [&](int s) {
      return PushShard(s, clock, grads, versions[s], &staleness[s], &version[s]);
    });
    result->staleness = 0;
    result->version = 0;
    for (uint64_t v : staleness) result->staleness = std::max(result->staleness, v);
    for (uint64_t v : version) result->version = std::max(result->version, v);
    return status;
  }

  absl::Status Done() override {
    return ForEachShard(num_shards(), [&](int s) -> absl::Status {
      grpc::ClientContext context;
      DS_RETURN_IF_ERROR(Prepare(&context, absl::ZeroDuration()));
      rpc::PsDoneRequest request;
      request.set_worker(options_.worker);
      rpc::PsDoneReply reply;
      grpc::Status status = shards_[s].stub->Done(&context, request, &reply);
      Unregister(&context);
      bytes_sent_ += WireBytes(request);
      return FromGrpc(status, shards_[s].name, "Done");
    });
  }

  void Abort() override {
    absl::MutexLock lock(&mu_);
    aborted_ = true;
    nic_cancel_.store(true);
    for (grpc::ClientContext* context : active_) context->TryCancel();
  }

  uint64_t bytes_sent() const override { return bytes_sent_.load(); }
  uint64_t bytes_received() const override { return bytes_received_.load(); }
  uint64_t nic_bytes_sent() const override { return nic_bytes_sent_.load(); }
  uint64_t nic_bytes_received() const override { return nic_bytes_received_.load(); }
  int num_shards() const override { return static_cast<int>(shards_.size()); }

 private:
  absl::Status AbortedError() const {
    return absl::CancelledError(
        absl::StrCat("worker ", options_.worker, ": parameter-server client aborted"));
  }

  // Shaping (GrpcPsClientOptions::nic): waits until the simulated network has delivered what
  // arrived at `t`. Cancelled if aborted meanwhile.
  absl::Status AwaitDelivery(absl::Time t) {
    if (!NicPort::SleepUntil(t, &nic_cancel_)) return AbortedError();
    return absl::OkStatus();
  }

  // Sets metadata and deadline and registers the call for Abort(). Cancelled if aborted.
  absl::Status Prepare(grpc::ClientContext* context, absl::Duration wait) {
    context->AddMetadata(kTokenKey, grpc_options_.run_token);
    context->AddMetadata(kRankKey, std::to_string(options_.worker));
    context->set_deadline(
        DeadlineIn(absl::ToDoubleSeconds(wait + grpc_options_.rpc_timeout)));
    absl::MutexLock lock(&mu_);
    if (aborted_) return AbortedError();
    active_.push_back(context);
    return absl::OkStatus();
  }

  void Unregister(grpc::ClientContext* context) {
    absl::MutexLock lock(&mu_);
    active_.erase(std::find(active_.begin(), active_.end(), context));
  }

  absl::Status PullShard(int s, uint64_t clock, std::span<float> params, uint64_t* version,
                         double* wait_s) {
    const ShardConnection& shard = shards_[s];
    const ShardRanges& ranges = options_.shards[s];
    const int64_t size = LocalSize(ranges);
    const int n_chunks = NumChunks(size, chunk_elems_);
    StallTracker stall(options_.stall_timeout);
    rpc::PsPullChunk& message = buffers_[s].pull;
    std::vector<float>& scratch = buffers_[s].scratch;
    const uint32_t poll_ms = static_cast<uint32_t>(
        std::clamp<int64_t>(absl::ToInt64Milliseconds(options_.poll), 1, kMaxPollMs));
    NicPort* const nic = grpc_options_.nic.get();
    const int host = nic != nullptr ? grpc_options_.shard_host[s] : 0;
    while (true) {
      rpc::PsPullRequest request;
      request.set_worker(options_.worker);
      request.set_clock(clock);
      request.set_wait_ms(poll_ms);
      const uint64_t request_bytes = WireBytes(request);
      bytes_sent_ += request_bytes;
      if (nic != nullptr) {  // the request reaches the shard's host first
        const TransferTimes times = nic->Send(host, request_bytes, &nic_cancel_);
        if (times.crossed_nic) {
          nic_bytes_sent_ += request_bytes;
          DS_RETURN_IF_ERROR(AwaitDelivery(times.delivered));
        }
      }
      grpc::ClientContext context;
      DS_RETURN_IF_ERROR(Prepare(&context, absl::Milliseconds(poll_ms)));
      const absl::Time poll_start = absl::Now();
      std::unique_ptr<grpc::ClientReader<rpc::PsPullChunk>> reader =
          shard.stub->Pull(&context, request);
      bool got = false, ready = false;
      int chunks = 0;
      absl::Time delivered = absl::InfinitePast();  // of the last message, when shaped
      while (reader->Read(&message)) {
        got = true;
        const uint64_t wire = WireBytes(message);
        bytes_received_ += wire;
        if (nic != nullptr) {  // sleeps through the message's serialization on the NICs
          const TransferTimes times = nic->Receive(host, wire, absl::Now(), &nic_cancel_);
          if (nic_cancel_.load()) break;  // the call was cancelled: Finish says so
          if (times.crossed_nic) {
            nic_bytes_received_ += wire;
            delivered = times.delivered;
          }
        }
        if (chunks == 0 && !ready) {
          if (!message.ready()) break;
          ready = true;
          *version = message.version();
          *wait_s += message.waited_us() * 1e-6;
          if (n_chunks == 0) break;
        }
        if (message.chunk() != static_cast<uint32_t>(chunks) || chunks >= n_chunks) break;
        const int64_t begin = chunks * chunk_elems_;
        const int64_t n = std::min(chunk_elems_, size - begin);
        std::span<const float> data = AsFloats(message.data(), &scratch);
        if (static_cast<int64_t>(data.size()) != n) break;
        if (ranges.size() == 1) {
          std::memcpy(params.data() + ranges[0].offset + begin, data.data(), n * sizeof(float));
        } else {
          ScatterLocal(ranges, begin, data, params);
        }
        ++chunks;
      }
      if (!ready) {
        grpc::Status status = reader->Finish();
        Unregister(&context);
        DS_RETURN_IF_ERROR(FromGrpc(status, shard.name, "Pull"));
        if (!got) {
          return absl::DataLossError(absl::StrCat(shard.name, ": Pull ended without an answer"));
        }
        DS_RETURN_IF_ERROR(AwaitDelivery(delivered));
        *wait_s += absl::ToDoubleSeconds(absl::Now() - poll_start);
        PullGrant grant;
        grant.blocker = message.blocker();
        grant.blocker_clock = message.blocker_clock();
        grant.progress = message.progress();
        DS_RETURN_IF_ERROR(stall.Observe(grant, options_.worker, s));
        continue;
      }
      if (chunks < n_chunks) context.TryCancel();
      grpc::Status status = reader->Finish();
      Unregister(&context);
      if (chunks < n_chunks) {
        DS_RETURN_IF_ERROR(FromGrpc(status, shard.name, "Pull"));
        return absl::DataLossError(absl::StrCat(shard.name, ": Pull delivered ", chunks, " of ",
                                                n_chunks, " chunks, or a malformed one"));
      }
      DS_RETURN_IF_ERROR(FromGrpc(status, shard.name, "Pull"));
      return AwaitDelivery(delivered);
    }
  }

  absl::Status PushShard(int s, uint64_t clock, std::span<const float> grads,
                         uint64_t pulled_version, uint64_t* staleness, uint64_t* version) {
    const ShardConnection& shard = shards_[s];
    const ShardRanges& ranges = options_.shards[s];
    const int64_t size = LocalSize(ranges);
    const int n_chunks = NumChunks(size, chunk_elems_);
    grpc::ClientContext context;
    DS_RETURN_IF_ERROR(Prepare(&context, absl::ZeroDuration()));
    rpc::PsPushReply reply;
    std::unique_ptr<grpc::ClientWriter<rpc::PsPushChunk>> writer =
        shard.stub->Push(&context, &reply);
    rpc::PsPushChunk& message = buffers_[s].push;
    message.set_worker(options_.worker);
    message.set_clock(clock);
    message.set_pulled_version(pulled_version);
    NicPort* const nic = grpc_options_.nic.get();
    bool crossed = false;
    absl::Time delivered = absl::InfinitePast();  // of the last chunk, when shaped
    for (int c = 0; c < std::max(n_chunks, 1); ++c) {
      message.set_chunk(c);
      if (n_chunks > 0) {
        const int64_t begin = c * chunk_elems_, n = std::min(chunk_elems_, size - begin);
        std::span<float> data = ResizeAsFloats(message.mutable_data(), n);
        if (ranges.size() == 1) {
          std::memcpy(data.data(), grads.data() + ranges[0].offset + begin, n * sizeof(float));
        } else {
          GatherLocal(ranges, begin, grads, data);
        }
      }
      const uint64_t wire = WireBytes(message);
      if (nic != nullptr) {  // sleeps through the chunk's serialization on the NICs
        const TransferTimes times =
            nic->Send(grpc_options_.shard_host[s], wire, &nic_cancel_);
        if (nic_cancel_.load()) {
          context.TryCancel();  // (Abort cancels it too) Finish reports Cancelled
          break;
        }
        if (times.crossed_nic) {
          crossed = true;
          delivered = times.delivered;
          nic_bytes_sent_ += wire;
        }
      }
      bytes_sent_ += wire;
      if (!writer->Write(message)) break;  // the server ended the call: Finish says why
    }
    writer->WritesDone();
    grpc::Status status = writer->Finish();
    Unregister(&context);
    bytes_received_ += WireBytes(reply);
    *staleness = reply.staleness();
    *version = reply.version();
    DS_RETURN_IF_ERROR(FromGrpc(status, shard.name, "Push"));
    if (!crossed) return absl::OkStatus();
    // The ack (not reserved: a few bytes) comes back one latency after the last chunk arrived.
    nic_bytes_received_ += WireBytes(reply);
    return AwaitDelivery(delivered + nic->model().latency);
  }

  const PsClientOptions options_;
  const GrpcPsClientOptions grpc_options_;
  const std::vector<ShardConnection> shards_;
  const int64_t chunk_elems_;
  // Per shard, used only by the thread talking to that shard: chunk-sized messages reused from
  // call to call, so steady-state steps do not allocate (and first-touch) megabytes.
  struct Buffers {
    rpc::PsPushChunk push;
    rpc::PsPullChunk pull;
    std::vector<float> scratch;
  };
  std::vector<Buffers> buffers_;
  absl::Mutex mu_;
  bool aborted_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<grpc::ClientContext*> active_ ABSL_GUARDED_BY(mu_);
  std::atomic<uint64_t> bytes_sent_{0}, bytes_received_{0};
  std::atomic<uint64_t> nic_bytes_sent_{0}, nic_bytes_received_{0};
  std::atomic<bool> nic_cancel_{false};  // set by Abort: ends shaping sleeps
};

}  // namespace

absl::StatusOr<std::unique_ptr<PsClient>> MakeGrpcPsClient(
    const PsClientOptions& options, const GrpcPsClientOptions& grpc_options) {
  if (grpc_options.addresses.size() != options.shards.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("parameter server client: ", grpc_options.addresses.size(),
                     " addresses for ", options.shards.size(), " shards"));
  }
  if (grpc_options.nic != nullptr) {
    const NicPort& nic = *grpc_options.nic;
    const std::string self = absl::StrCat("parameter server client of worker ", options.worker);
    if (grpc_options.my_host != nic.host()) {
      return absl::InvalidArgumentError(absl::StrCat(self, ": my_host is ", grpc_options.my_host,
                                                     " but the NIC port is on host ", nic.host()));
    }
    if (grpc_options.shard_host.size() != grpc_options.addresses.size()) {
      return absl::InvalidArgumentError(absl::StrCat(self, ": shard_host has ",
                                                     grpc_options.shard_host.size(),
                                                     " entries for ", grpc_options.addresses.size(),
                                                     " shards"));
    }
    for (size_t s = 0; s < grpc_options.shard_host.size(); ++s) {
      const int host = grpc_options.shard_host[s];
      if (host < 0 || host >= nic.table().hosts()) {
        return absl::InvalidArgumentError(
            absl::StrCat(self, ": shard_host[", s, "] = ", host,
                         " is not a host of the NIC table (", nic.table().hosts(), " hosts)"));
      }
    }
  }
  std::vector<ShardConnection> shards(options.shards.size());
  const int max_message = PsMaxMessageBytes(options.chunk_bytes);
  for (size_t s = 0; s < shards.size(); ++s) {
    shards[s].name =
        absl::StrCat("parameter server shard ", s, " (", grpc_options.addresses[s], ")");
    shards[s].channel = MakeChannel(grpc_options.addresses[s], max_message);
    shards[s].stub = rpc::ParameterServer::NewStub(shards[s].channel);
  }
  for (ShardConnection& shard : shards) {
    DS_RETURN_IF_ERROR(WaitForReady(
        *shard.channel,
        std::chrono::milliseconds(absl::ToInt64Milliseconds(grpc_options.connect_timeout)),
        shard.name));
  }
  return std::unique_ptr<PsClient>(
      std::make_unique<GrpcPsClient>(options, grpc_options, std::move(shards)));
}

absl::Status StreamToDiscard(const std::string& address, const std::string& run_token,
                             int64_t bytes, int64_t chunk_bytes) {
  // Channel, stub and payload are kept per address and chunk size, so that a call measures the
  // stream alone, not connection set-up or first-touch page faults.
  struct Sender {
    std::string address;
    int64_t chunk_bytes;
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<rpc::ParameterServer::Stub> stub;
    rpc::PsPushChunk message;
  };
  static absl::Mutex mu(absl::kConstInit);
  static auto* senders = new std::vector<std::unique_ptr<Sender>>;
  Sender* sender = nullptr;
  {
    absl::MutexLock lock(&mu);
    for (auto& s : *senders) {
      if (s->address == address && s->chunk_bytes == chunk_bytes) sender = s.get();
    }
    if (sender == nullptr) {
      senders->push_back(std::make_unique<Sender>());
      sender = senders->back().get();
      sender->address = address;
      sender->chunk_bytes = chunk_bytes;
      sender->channel = MakeChannel(address, PsMaxMessageBytes(chunk_bytes));
      sender->stub = rpc::ParameterServer::NewStub(sender->channel);
      std::span<float> data = ResizeAsFloats(sender->message.mutable_data(), ChunkElems(chunk_bytes));
      std::fill(data.begin(), data.end(), 1.0f);
    }
  }
  grpc::ClientContext context;
  context.AddMetadata(kTokenKey, run_token);
  context.set_deadline(DeadlineIn(60));
  rpc::PsPushReply reply;
  auto writer = sender->stub->Discard(&context, &reply);
  rpc::PsPushChunk& message = sender->message;  // callers of one address take turns (bench)
  for (int64_t sent = 0; sent < bytes; sent += chunk_bytes) {
    message.set_chunk(static_cast<uint32_t>(sent / chunk_bytes));
    message.mutable_data()->resize(std::min(chunk_bytes, bytes - sent));
    if (!writer->Write(message)) break;
  }
  writer->WritesDone();
  return FromGrpc(writer->Finish(), address, "Discard");
}

}  // namespace distsim::comm
