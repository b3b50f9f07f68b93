#include "sim/comm/coordinator_rpc.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "distsim/coordinator.grpc.pb.h"
#include "sim/comm/grpc_util.h"
#include "sim/comm/run_token.h"

namespace distsim::comm {
namespace {

// Long polls return within this; clients re-issue them.
constexpr absl::Duration kLongPoll = absl::Milliseconds(500);
constexpr int kMaxMessageBytes = 64 << 20;  // step records of a slow heartbeat stay far below

constexpr char kCoordinatorName[] = "the coordinator";

}  // namespace

class CoordinatorService::Impl final : public rpc::Coordinator::Service {
 public:
  Impl(CoordinatorHandler* handler, std::string token)
      : handler_(handler), token_(std::move(token)) {}

  grpc::Status Register(grpc::ServerContext* context, const rpc::RegisterRequest* request,
                        rpc::RegisterReply*) override {
    if (auto s = CheckRunToken(*context, token_, kCoordinatorName); !s.ok()) return ToGrpc(s);
    return ToGrpc(handler_->Register(request->process()));
  }

  grpc::Status GetPeers(grpc::ServerContext* context, const rpc::GetPeersRequest*,
                        rpc::GetPeersReply* reply) override {
    if (auto s = CheckRunToken(*context, token_, kCoordinatorName); !s.ok()) return ToGrpc(s);
    std::optional<PeerTable> table = handler_->WaitForPeers(kLongPoll);
    reply->set_ready(table.has_value());
    if (table) *reply->mutable_table() = std::move(*table);
    return grpc::Status::OK;
  }

  grpc::Status Heartbeat(grpc::ServerContext* context, const rpc::HeartbeatRequest* request,
                         rpc::HeartbeatReply* reply) override {
    if (auto s = CheckRunToken(*context, token_, kCoordinatorName); !s.ok()) return ToGrpc(s);
    HeartbeatData data;
    data.role = request->role();
    data.rank = request->rank();
    data.step = request->step();
    data.steps.assign(request->steps().begin(), request->steps().end());
    data.evals.assign(request->evals().begin(), request->evals().end());
    data.rejoined = request->rejoined();
    data.resumed_from_step = request->resumed_from_step();
    data.steps_redone = request->steps_redone();
    HeartbeatAnswer answer = handler_->Heartbeat(std::move(data));
    switch (answer.command) {
      case Command::kContinue:
        reply->set_command(rpc::HeartbeatReply::CONTINUE);
        break;
      case Command::kAbort:
        reply->set_command(rpc::HeartbeatReply::ABORT);
        break;
      case Command::kShutdown:
        reply->set_command(rpc::HeartbeatReply::SHUTDOWN);
        break;
    }
    reply->set_reason(answer.reason);
    for (uint32_t w : answer.lost_workers) reply->add_lost_workers(w);
    return grpc::Status::OK;
  }

  grpc::Status Finish(grpc::ServerContext* context, const rpc::FinishRequest* request,
                      rpc::FinishReply*) override {
    if (auto s = CheckRunToken(*context, token_, kCoordinatorName); !s.ok()) return ToGrpc(s);
    return ToGrpc(handler_->Finish(request->summary()));
  }

 private:
  CoordinatorHandler* handler_;
  std::string token_;
};

CoordinatorService::CoordinatorService(CoordinatorHandler* handler, std::string token)
    : impl_(std::make_unique<Impl>(handler, std::move(token))) {}
CoordinatorService::~CoordinatorService() = default;
grpc::Service* CoordinatorService::service() { return impl_.get(); }

class CoordinatorClient::Impl {
 public:
  Impl(const std::string& address, std::string token, double deadline_s, const TlsFiles& tls)
      : address_(address),
        peer_(absl::StrCat("the coordinator (", address, ")")),
        token_(std::move(token)),
        deadline_s_(deadline_s),
        tls_(tls),
        channel_(MakeChannel(address, kMaxMessageBytes, tls)),
        stub_(rpc::Coordinator::NewStub(channel_)) {}

  void Prepare(grpc::ClientContext* context, double deadline_s) const {
    context->set_deadline(DeadlineIn(deadline_s));
    AttachRunToken(context, token_);
  }

  std::string address_;
  std::string peer_;
  std::string token_;
  double deadline_s_;
  TlsFiles tls_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<rpc::Coordinator::Stub> stub_;
};

CoordinatorClient::CoordinatorClient(const std::string& address, std::string token,
                                     double rpc_deadline_s, const TlsFiles& tls)
    : impl_(std::make_unique<Impl>(address, std::move(token), rpc_deadline_s, tls)) {}
CoordinatorClient::~CoordinatorClient() = default;

absl::Status CoordinatorClient::WaitUntilReachable(absl::Duration timeout) {
  return WaitForReady(*impl_->channel_,
                      std::chrono::milliseconds(absl::ToInt64Milliseconds(timeout)), impl_->peer_,
                      impl_->tls_);
}

absl::Status CoordinatorClient::Register(const ProcessInfo& process) {
  grpc::ClientContext context;
  impl_->Prepare(&context, impl_->deadline_s_);
  rpc::RegisterRequest request;
  *request.mutable_process() = process;
  rpc::RegisterReply reply;
  return FromGrpc(impl_->stub_->Register(&context, request, &reply), impl_->peer_, "Register");
}

absl::StatusOr<PeerTable> CoordinatorClient::WaitForPeers(const ProcessInfo& self,
                                                          absl::Duration timeout) {
  absl::Time give_up = absl::Now() + timeout;
  while (true) {
    grpc::ClientContext context;
    impl_->Prepare(&context, absl::ToDoubleSeconds(kLongPoll) + impl_->deadline_s_);
    rpc::GetPeersRequest request;
    request.set_role(self.role());
    request.set_rank(self.rank());
    rpc::GetPeersReply reply;
    absl::Status status =
        FromGrpc(impl_->stub_->GetPeers(&context, request, &reply), impl_->peer_, "GetPeers");
    if (!status.ok()) return status;
    if (reply.ready()) return reply.table();
    if (absl::Now() > give_up) {
      return absl::UnavailableError(
          absl::StrCat("the peer table was not complete after ", absl::FormatDuration(timeout),
                       ": some process never registered with ", impl_->peer_));
    }
  }
}

absl::StatusOr<HeartbeatAnswer> CoordinatorClient::Heartbeat(const HeartbeatData& data) {
  grpc::ClientContext context;
  impl_->Prepare(&context, impl_->deadline_s_);
  rpc::HeartbeatRequest request;
  request.set_role(data.role);
  request.set_rank(data.rank);
  request.set_step(data.step);
  for (const StepRecord& r : data.steps) *request.add_steps() = r;
  for (const EvalRecord& e : data.evals) *request.add_evals() = e;
  request.set_rejoined(data.rejoined);
  request.set_resumed_from_step(data.resumed_from_step);
  request.set_steps_redone(data.steps_redone);
  rpc::HeartbeatReply reply;
  absl::Status status =
      FromGrpc(impl_->stub_->Heartbeat(&context, request, &reply), impl_->peer_, "Heartbeat");
  if (!status.ok()) return status;
  HeartbeatAnswer answer;
  switch (reply.command()) {
    case rpc::HeartbeatReply::ABORT:
      answer.command = Command::kAbort;
      break;
    case rpc::HeartbeatReply::SHUTDOWN:
      answer.command = Command::kShutdown;
      break;
    default:
      answer.command = Command::kContinue;
  }
  answer.reason = reply.reason();
  answer.lost_workers.assign(reply.lost_workers().begin(), reply.lost_workers().end());
  return answer;
}

absl::Status CoordinatorClient::Finish(const ProcessSummary& summary) {
  grpc::ClientContext context;
  impl_->Prepare(&context, impl_->deadline_s_);
  rpc::FinishRequest request;
  *request.mutable_summary() = summary;
  rpc::FinishReply reply;
  return FromGrpc(impl_->stub_->Finish(&context, request, &reply), impl_->peer_, "Finish");
}

}  // namespace distsim::comm
