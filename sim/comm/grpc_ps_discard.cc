// The bare-transport ceiling of a push for bench/ps_bench.cc (grpc_ps.h): StreamToDiscard, the
// client side of the Discard call (the service side is PsService's DiscardReactor).
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "distsim/ps.grpc.pb.h"
#include "sim/comm/grpc_ps.h"
#include "sim/comm/grpc_ps_wire.h"
#include "sim/comm/grpc_util.h"
#include "sim/comm/run_token.h"

namespace distsim::comm {

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
      sender->channel = MakeChannel(address, PsMaxMessageBytes(chunk_bytes), TlsFiles());
      sender->stub = rpc::ParameterServer::NewStub(sender->channel);
      std::span<float> data =
          ResizeAsFloats(sender->message.mutable_data(), ChunkElems(chunk_bytes));
      std::fill(data.begin(), data.end(), 1.0f);
    }
  }
  grpc::ClientContext context;
  AttachRunToken(&context, run_token);
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
