// fuzz_ps_messages: the parameter server's handling of requests (proto/distsim/ps.proto), on
// arbitrary bytes: the messages are parsed with protobuf alone, then given to the code PsService
// runs for them, without gRPC: a push stream (sim/comm/ps_push_stream.h) and the shard behind it
// (sim/strategy/ps_shard.h: chunk order and length, non-finite values, worker and clock checks,
// the SYNC, ASYNC and SSP rules). A pull is answered as the service answers it (WaitPull without
// waiting, then every chunk read); a done is WorkerDone.
//
// Input: byte 0 sets up the shard (mode = b % 3: SYNC, ASYNC, SSP; workers = 1 + (b / 3) % 3;
// warm-up of 3 updates if b >= 128), byte 1 the chunk size (4 * (1 + b % 16) bytes), the SSP
// bound (b / 16 % 4) and whether non-finite chunks are skipped rather than refused (bit 6:
// on_bad_gradient SKIP). Then records: an operation byte, a length byte, that many bytes of a
// serialized message. Operation % 5: 0 a PsPushChunk on push stream (op / 8) % 2 (opened by its
// first chunk), 1 the end of that stream, 2 a PsPullRequest, 3 a PsDoneRequest, 4 a PsPushChunk
// given to nothing (the Discard call). A message that does not parse fails its call: an open
// stream is dropped half-way, as a broken call leaves it.
// Contracts checked: refusals are InvalidArgument, FailedPrecondition or DataLoss (never a crash
// or an abort); a finished push leaves its worker at clock + 1; a ready pull can read every chunk.
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "distsim/ps.pb.h"
#include "fuzz/fuzz_check.h"
#include "kernels/optimizer.h"
#include "sim/comm/ps_client.h"
#include "sim/comm/ps_push_stream.h"
#include "sim/strategy/ps_shard.h"

namespace {

namespace comm = distsim::comm;
namespace rpc = distsim::rpc;
namespace strategy = distsim::strategy;

// The flat buffer and the shard's part of it: three ranges, 15 elements.
constexpr int kFlatElems = 24;
const comm::ShardRanges kRanges = {{1, 5}, {8, 7}, {20, 3}};

void CheckRefusal(const absl::Status& status) {
  FUZZ_CHECK(absl::IsInvalidArgument(status) || absl::IsFailedPrecondition(status) ||
             absl::IsDataLoss(status));
}

std::unique_ptr<strategy::PsShard> MakeShard(uint8_t setup, uint8_t chunking) {
  strategy::PsShardOptions options;
  options.mode = std::array{strategy::PsMode::kSync, strategy::PsMode::kAsync,
                            strategy::PsMode::kSsp}[setup % 3];
  options.num_workers = 1 + (setup / 3) % 3;
  options.staleness = options.mode == strategy::PsMode::kSsp ? chunking / 16 % 4 : 0;
  options.chunk_bytes = 4 * (1 + chunking % 16);
  options.skip_bad_gradients = (chunking & 0x40) != 0;
  constexpr float kRate = 0.01f;
  if (setup >= 128) options.learning_rate = {.base = kRate, .warmup_steps = 3};
  std::vector<float> flat(kFlatElems);
  for (int i = 0; i < kFlatElems; ++i) flat[i] = 0.5f * static_cast<float>(i);
  return std::make_unique<strategy::PsShard>(options, kRanges, flat, [](int64_t size) {
    return distsim::kernels::MakeSgd<float>(size, kRate);
  });
}

// The calls the service has open: up to two push streams at once, as two connections would.
class Harness {
 public:
  explicit Harness(strategy::PsShard* shard) : shard_(shard) {}

  void PushChunk(int stream, const rpc::PsPushChunk& message) {
    std::optional<OpenPush>& open = pushes_[stream];
    if (!open) open.emplace(shard_, message.worker(), message.clock());
    const absl::Status status = open->stream.Add({.worker = message.worker(),
                                                  .clock = message.clock(),
                                                  .pulled_version = message.pulled_version(),
                                                  .chunk = message.chunk(),
                                                  .data = message.data()});
    if (!status.ok()) {
      CheckRefusal(status);
      open.reset();  // the service finishes the call with the error
    }
  }

  void EndPush(int stream) {
    std::optional<OpenPush>& open = pushes_[stream];
    if (!open) return;
    absl::StatusOr<comm::PushAck> ack = open->stream.Finish();
    const uint32_t worker = open->worker;
    const uint64_t clock = open->clock;
    open.reset();
    if (!ack.ok()) {
      CheckRefusal(ack.status());
      return;
    }
    FUZZ_CHECK(ack->version <= shard_->version());
    const std::vector<uint64_t> clocks = shard_->clocks();
    FUZZ_CHECK(worker < clocks.size());
    FUZZ_CHECK(clocks[worker] >= 1 && clocks[worker] - 1 == clock);
  }

  // A call that broke (its message did not parse): the push is left half-way.
  void DropPush(int stream) { pushes_[stream].reset(); }

  void Pull(const rpc::PsPullRequest& request) {
    absl::StatusOr<comm::PullGrant> grant =
        shard_->WaitPull(static_cast<int>(request.worker()), request.clock(), absl::ZeroDuration());
    if (!grant.ok()) {
      CheckRefusal(grant.status());
      return;
    }
    if (!grant->ready) return;
    const int64_t size = shard_->size(), chunk_elems = shard_->chunk_elems();
    std::vector<float> chunk(static_cast<size_t>(chunk_elems));
    for (int c = 0; c < shard_->num_chunks(); ++c) {
      const int64_t n = std::min(chunk_elems, size - c * chunk_elems);
      FUZZ_CHECK(shard_->ReadChunk(c, std::span<float>(chunk.data(), n)).ok());
    }
  }

  void Done(const rpc::PsDoneRequest& request) {
    const absl::Status status = shard_->WorkerDone(static_cast<int>(request.worker()));
    if (!status.ok()) CheckRefusal(status);
  }

 private:
  struct OpenPush {
    OpenPush(strategy::PsShard* shard, uint32_t w, uint64_t c)
        : stream(shard), worker(w), clock(c) {}
    comm::PushStream stream;
    uint32_t worker;  // what the first message named
    uint64_t clock;
  };

  strategy::PsShard* const shard_;
  std::array<std::optional<OpenPush>, 2> pushes_;
};

template <typename Message>
bool Parse(const uint8_t* bytes, size_t size, Message* message) {
  return message->ParseFromArray(bytes, static_cast<int>(size));
}

void RunRecord(Harness& harness, uint8_t op, const uint8_t* bytes, size_t size) {
  const int stream = (op / 8) % 2;
  switch (op % 5) {
    case 0: {
      rpc::PsPushChunk message;
      if (Parse(bytes, size, &message)) {
        harness.PushChunk(stream, message);
      } else {
        harness.DropPush(stream);
      }
      break;
    }
    case 1:
      harness.EndPush(stream);
      break;
    case 2: {
      rpc::PsPullRequest request;
      if (Parse(bytes, size, &request)) harness.Pull(request);
      break;
    }
    case 3: {
      rpc::PsDoneRequest request;
      if (Parse(bytes, size, &request)) harness.Done(request);
      break;
    }
    default: {
      rpc::PsPushChunk message;
      Parse(bytes, size, &message);
      break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  std::unique_ptr<strategy::PsShard> shard = MakeShard(data[0], data[1]);
  Harness harness(shard.get());
  size_t at = 2;
  while (size - at >= 2) {
    const uint8_t op = data[at], length = data[at + 1];
    at += 2;
    const size_t n = std::min<size_t>(length, size - at);
    RunRecord(harness, op, data + at, n);
    at += n;
  }
  return 0;
}
