// The client half of the gRPC parameter-server transport (grpc_ps.h): MakeGrpcPsClient.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "distsim/ps.grpc.pb.h"
#include "sim/base/check.h"
#include "sim/base/status.h"
#include "sim/comm/fan_out.h"
#include "sim/comm/grpc_ps.h"
#include "sim/comm/grpc_ps_wire.h"
#include "sim/comm/grpc_util.h"
#include "sim/comm/run_token.h"

namespace distsim::comm {
namespace {

struct ShardConnection {
  std::string name;  // "parameter server shard s (host:port)"
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<rpc::ParameterServer::Stub> stub;
};

class GrpcPsClient final : public PsClient {
 public:
  GrpcPsClient(const PsClientOptions& options, const GrpcPsClientOptions& grpc_options,
               std::vector<ShardConnection> shards)
      : options_(options),
        grpc_options_(grpc_options),
        shards_(std::move(shards)),
        chunk_elems_(ChunkElems(options.chunk_bytes)),
        buffers_(shards_.size()),
        fan_out_(static_cast<int>(shards_.size())) {}

  absl::Status Pull(uint64_t clock, std::span<float> params, PullResult* result) override {
    DS_CHECK(static_cast<int64_t>(params.size()) == options_.total_elems);
    const int n = num_shards();
    result->versions.assign(n, 0);
    std::vector<double> waits(n, 0.0);
    absl::Status status = fan_out_.Run(
        [&](int s) { return PullShard(s, clock, params, &result->versions[s], &waits[s]); });
    result->wait_s = n == 0 ? 0.0 : *std::max_element(waits.begin(), waits.end());
    return status;
  }

  absl::Status Push(uint64_t clock, std::span<const float> grads,
                    std::span<const uint64_t> versions, PushResult* result) override {
    DS_CHECK(static_cast<int64_t>(grads.size()) == options_.total_elems);
    DS_CHECK(static_cast<int>(versions.size()) == num_shards());
    std::vector<uint64_t> staleness(num_shards(), 0), version(num_shards(), 0);
    absl::Status status = fan_out_.Run(
        [&](int s) { return PushShard(s, clock, grads, versions[s], &staleness[s], &version[s]); });
    result->staleness = 0;
    result->version = 0;
    for (uint64_t v : staleness) result->staleness = std::max(result->staleness, v);
    for (uint64_t v : version) result->version = std::max(result->version, v);
    return status;
  }

  absl::Status Done() override {
    return fan_out_.Run([&](int s) {
      rpc::PsDoneReply reply;
      return Unary(s, "Done", &rpc::ParameterServer::Stub::Done, &reply);
    });
  }

  absl::StatusOr<std::vector<RejoinPoint>> Rejoin() override {
    std::vector<RejoinPoint> points(num_shards());
    DS_RETURN_IF_ERROR(fan_out_.Run([&](int s) {
      rpc::PsRejoinReply reply;
      DS_RETURN_IF_ERROR(Unary(s, "Rejoin", &rpc::ParameterServer::Stub::Rejoin, &reply));
      points[s] = {.clock = reply.clock(), .cut = reply.cut()};
      return absl::OkStatus();
    }));
    return points;
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
    AttachRunToken(context, grpc_options_.run_token);
    context->AddMetadata(kRankMetadataKey, std::to_string(options_.worker));
    context->set_deadline(DeadlineIn(absl::ToDoubleSeconds(wait + grpc_options_.rpc_timeout)));
    absl::MutexLock lock(&mu_);
    if (aborted_) return AbortedError();
    active_.push_back(context);
    return absl::OkStatus();
  }

  void Unregister(grpc::ClientContext* context) {
    absl::MutexLock lock(&mu_);
    active_.erase(std::find(active_.begin(), active_.end(), context));
  }

  // One unary call to shard s in this worker's name (Done, Rejoin).
  template <typename Request, typename Reply>
  absl::Status Unary(int s, const char* what,
                     grpc::Status (rpc::ParameterServer::Stub::*call)(grpc::ClientContext*,
                                                                      const Request&, Reply*),
                     Reply* reply) {
    grpc::ClientContext context;
    DS_RETURN_IF_ERROR(Prepare(&context, absl::ZeroDuration()));
    Request request;
    request.set_worker(options_.worker);
    grpc::Status status = (shards_[s].stub.get()->*call)(&context, request, reply);
    Unregister(&context);
    bytes_sent_ += WireBytes(request);
    return FromGrpc(status, shards_[s].name, what);
  }

  // Pulls shard s: long polls until it is ready (or the stall tracker gives up), then its chunks.
  absl::Status PullShard(int s, uint64_t clock, std::span<float> params, uint64_t* version,
                         double* wait_s) {
    StallTracker stall(options_.stall_timeout);
    const uint32_t poll_ms = static_cast<uint32_t>(
        std::clamp<int64_t>(absl::ToInt64Milliseconds(options_.poll), 1, kMaxPollMs));
    while (true) {
      bool ready = false;
      PullGrant blocked;
      DS_RETURN_IF_ERROR(PollShard(s, clock, poll_ms, params, version, wait_s, &ready, &blocked));
      if (ready) return absl::OkStatus();
      DS_RETURN_IF_ERROR(stall.Observe(blocked, options_.worker, s));
    }
  }

  // One long poll of shard s. Sets `ready`; if it was not, `blocked` gets what the shard waits
  // for (blocker, its clock, progress).
  absl::Status PollShard(int s, uint64_t clock, uint32_t poll_ms, std::span<float> params,
                         uint64_t* version, double* wait_s, bool* ready, PullGrant* blocked) {
    const ShardConnection& shard = shards_[s];
    rpc::PsPullRequest request;
    request.set_worker(options_.worker);
    request.set_clock(clock);
    request.set_wait_ms(poll_ms);
    DS_RETURN_IF_ERROR(SendRequest(s, WireBytes(request)));
    grpc::ClientContext context;
    DS_RETURN_IF_ERROR(Prepare(&context, absl::Milliseconds(poll_ms)));
    const absl::Time poll_start = absl::Now();
    std::unique_ptr<grpc::ClientReader<rpc::PsPullChunk>> reader =
        shard.stub->Pull(&context, request);
    const PullRead read = ReadPull(s, reader.get(), params, version, wait_s);
    const int n_chunks = NumChunks(LocalSize(options_.shards[s]), chunk_elems_);
    *ready = read.ready;
    if (!read.ready) {
      grpc::Status status = reader->Finish();
      Unregister(&context);
      DS_RETURN_IF_ERROR(FromGrpc(status, shard.name, "Pull"));
      if (!read.got) {
        return absl::DataLossError(absl::StrCat(shard.name, ": Pull ended without an answer"));
      }
      DS_RETURN_IF_ERROR(AwaitDelivery(read.delivered));
      *wait_s += absl::ToDoubleSeconds(absl::Now() - poll_start);
      const rpc::PsPullChunk& message = buffers_[s].pull;
      blocked->blocker = message.blocker();
      blocked->blocker_clock = message.blocker_clock();
      blocked->progress = message.progress();
      return absl::OkStatus();
    }
    if (read.chunks < n_chunks) context.TryCancel();
    grpc::Status status = reader->Finish();
    Unregister(&context);
    if (read.chunks < n_chunks) {
      DS_RETURN_IF_ERROR(FromGrpc(status, shard.name, "Pull"));
      return absl::DataLossError(absl::StrCat(shard.name, ": Pull delivered ", read.chunks, " of ",
                                              n_chunks, " chunks, or a malformed one"));
    }
    DS_RETURN_IF_ERROR(FromGrpc(status, shard.name, "Pull"));
    return AwaitDelivery(read.delivered);
  }

  // Counts a request of `bytes` to shard s and, when shaped, waits until the simulated network
  // has delivered it to the shard's host.
  absl::Status SendRequest(int s, uint64_t bytes) {
    bytes_sent_ += bytes;
    NicPort* const nic = grpc_options_.nic.get();
    if (nic == nullptr) return absl::OkStatus();
    const TransferTimes times = nic->Send(grpc_options_.shard_host[s], bytes, &nic_cancel_);
    if (!times.crossed_nic) return absl::OkStatus();
    nic_bytes_sent_ += bytes;
    return AwaitDelivery(times.delivered);
  }

  // What one pull's stream delivered.
  struct PullRead {
    bool got = false;                             // any message
    bool ready = false;                           // the first message granted the pull
    int chunks = 0;                               // chunks stored into the parameters
    absl::Time delivered = absl::InfinitePast();  // of the last message, when shaped
  };

  // Reads a pull's messages from shard s into `params` until the stream ends, the answer is "not
  // ready", the last chunk is in, or a chunk is malformed (then chunks stays short).
  PullRead ReadPull(int s, grpc::ClientReader<rpc::PsPullChunk>* reader, std::span<float> params,
                    uint64_t* version, double* wait_s) {
    const ShardRanges& ranges = options_.shards[s];
    const int64_t size = LocalSize(ranges);
    const int n_chunks = NumChunks(size, chunk_elems_);
    rpc::PsPullChunk& message = buffers_[s].pull;
    NicPort* const nic = grpc_options_.nic.get();
    PullRead read;
    while (reader->Read(&message)) {
      read.got = true;
      const uint64_t wire = WireBytes(message);
      bytes_received_ += wire;
      if (nic != nullptr) {  // sleeps through the message's serialization on the NICs
        const TransferTimes times =
            nic->Receive(grpc_options_.shard_host[s], wire, absl::Now(), &nic_cancel_);
        if (nic_cancel_.load()) break;  // the call was cancelled: Finish says so
        if (times.crossed_nic) {
          nic_bytes_received_ += wire;
          read.delivered = times.delivered;
        }
      }
      if (read.chunks == 0 && !read.ready) {
        if (!message.ready()) break;
        read.ready = true;
        *version = message.version();
        *wait_s += message.waited_us() * 1e-6;
        if (n_chunks == 0) break;
      }
      if (message.chunk() != static_cast<uint32_t>(read.chunks) || read.chunks >= n_chunks) break;
      const int64_t begin = read.chunks * chunk_elems_;
      const int64_t n = std::min(chunk_elems_, size - begin);
      std::span<const float> data = AsFloats(message.data(), &buffers_[s].scratch);
      if (static_cast<int64_t>(data.size()) != n) break;
      if (ranges.size() == 1) {
        std::memcpy(params.data() + ranges[0].offset + begin, data.data(), n * sizeof(float));
      } else {
        ScatterLocal(ranges, begin, data, params);
      }
      ++read.chunks;
    }
    return read;
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
        const TransferTimes times = nic->Send(grpc_options_.shard_host[s], wire, &nic_cancel_);
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
  FanOut fan_out_;  // one thread per shard but the first, for the client's life
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
        absl::StrCat("parameter server client: ", grpc_options.addresses.size(), " addresses for ",
                     options.shards.size(), " shards"));
  }
  if (grpc_options.nic != nullptr) DS_RETURN_IF_ERROR(CheckPsClientShaping(options, grpc_options));
  std::vector<ShardConnection> shards(options.shards.size());
  const int max_message = PsMaxMessageBytes(options.chunk_bytes);
  for (size_t s = 0; s < shards.size(); ++s) {
    shards[s].name =
        absl::StrCat("parameter server shard ", s, " (", grpc_options.addresses[s], ")");
    shards[s].channel = MakeChannel(grpc_options.addresses[s], max_message, grpc_options.tls);
    shards[s].stub = rpc::ParameterServer::NewStub(shards[s].channel);
  }
  for (ShardConnection& shard : shards) {
    DS_RETURN_IF_ERROR(WaitForReady(
        *shard.channel,
        std::chrono::milliseconds(absl::ToInt64Milliseconds(grpc_options.connect_timeout)),
        shard.name, grpc_options.tls));
  }
  return std::unique_ptr<PsClient>(
      std::make_unique<GrpcPsClient>(options, grpc_options, std::move(shards)));
}

}  // namespace distsim::comm
