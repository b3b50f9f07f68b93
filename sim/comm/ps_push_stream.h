// The server side of a parameter-server push without gRPC or protobuf: what PsService
// (grpc_ps_service.cc) checks in every message of a Push call (ps.proto's PsPushChunk) and the
// calls it makes on the shard. The service reads the messages and hands their fields here; the
// fuzz target fuzz/fuzz_ps_messages.cc does the same with messages parsed from arbitrary bytes,
// so both run this code. Internal to sim/comm.
#ifndef DISTSIM_SIM_COMM_PS_PUSH_STREAM_H_
#define DISTSIM_SIM_COMM_PS_PUSH_STREAM_H_

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "sim/comm/ps_client.h"

namespace distsim::comm {

// Floats of a `bytes` field (data.size() / 4 of them; a trailing partial float is ignored).
// Protobuf strings of chunk size are heap blocks (16-byte aligned), so this is normally a view
// into `data`; data stored unaligned is copied into `scratch`, which the result then views.
std::span<const float> AsFloats(std::string_view data, std::vector<float>* scratch);

// The fields of one PsPushChunk.
struct PushChunkFields {
  uint32_t worker = 0;
  uint64_t clock = 0;
  uint64_t pulled_version = 0;  // read from the first message of a push only
  uint32_t chunk = 0;
  std::string_view data;  // float32 values in host byte order; empty: no chunk
};

// One Push call (a client stream of chunks) on one shard. Not thread-safe: one object per call,
// fed by the call's reactions one after the other. `shard` is not owned and must outlive it.
class PushStream {
 public:
  explicit PushStream(PsShardHandler* shard) : shard_(shard) {}

  // One message of the stream. The first names the push (worker, clock, pulled version). A
  // message with empty data carries no chunk (the only message of a push to an empty shard) and
  // is skipped. Any other must hold whole floats and name the first message's worker and clock
  // (else InvalidArgument "malformed push chunk <c> from worker <w>"), and is given to the
  // shard's PushChunk, whose errors are returned (chunk order and length, non-finite values, a
  // worker or clock the shard refuses).
  absl::Status Add(const PushChunkFields& message);

  // The client closed its stream: the shard's FinishPush for the push the first message named.
  // InvalidArgument "push without any message" if no message came.
  absl::StatusOr<PushAck> Finish();

 private:
  PsShardHandler* const shard_;
  std::vector<float> scratch_;
  bool any_ = false;
  uint32_t worker_ = 0;
  uint64_t clock_ = 0, pulled_version_ = 0;
};

}  // namespace distsim::comm

#endif  // DISTSIM_SIM_COMM_PS_PUSH_STREAM_H_
