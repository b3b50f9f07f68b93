#include "sim/comm/grpc_util.h"

#include <cstdlib>

#include <grpc/support/log.h>

#include "absl/strings/str_cat.h"

namespace distsim::comm {
namespace {

void DropGrpcLog(gpr_log_func_args*) {}

// gRPC prints its own multi-line error records to stderr (a failed bind, a refused connection)
// beside distsim's one-line errors, which already say what went wrong. They stay out, unless a
// person debugging gRPC asked for them with gRPC's own GRPC_VERBOSITY.
void QuietGrpcLog() {
  static const bool quiet = [] {
    if (std::getenv("GRPC_VERBOSITY") == nullptr) gpr_set_log_function(DropGrpcLog);
    return true;
  }();
  (void)quiet;
}

}  // namespace

absl::StatusOr<StartedServer> StartServer(const ServerOptions& options,
                                          const std::vector<grpc::Service*>& services) {
  QuietGrpcLog();
  grpc::ServerBuilder builder;
  std::string address = absl::StrCat(options.bind_host, ":", options.port);
  StartedServer out;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &out.port);
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  builder.SetMaxSendMessageSize(options.max_message_bytes);
  grpc::ResourceQuota quota("distsim");
  quota.SetMaxThreads(options.max_threads);
  builder.SetResourceQuota(quota);
  for (grpc::Service* service : services) builder.RegisterService(service);
  out.server = builder.BuildAndStart();
  if (out.server == nullptr || out.port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", address, " (address in use or not local?)"));
  }
  out.address = absl::StrCat(options.bind_host, ":", out.port);
  return out;
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address, int max_message_bytes) {
  QuietGrpcLog();
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(max_message_bytes);
  args.SetMaxSendMessageSize(max_message_bytes);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 20);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 20);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 200);
  // Each peer gets its own TCP connection even when two channels point at the same address.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

absl::Status WaitForReady(grpc::Channel& channel, std::chrono::milliseconds timeout,
                          const std::string& peer) {
  auto deadline = std::chrono::system_clock::now() + timeout;
  if (channel.WaitForConnected(deadline)) return absl::OkStatus();
  return absl::UnavailableError(
      absl::StrCat(peer, " did not accept a connection within ", timeout.count(), " ms"));
}

std::chrono::system_clock::time_point DeadlineIn(double seconds) {
  return std::chrono::system_clock::now() +
         std::chrono::microseconds(static_cast<int64_t>(seconds * 1e6));
}

absl::Status FromGrpc(const grpc::Status& status, const std::string& peer,
                      const std::string& call) {
  if (status.ok()) return absl::OkStatus();
  std::string message = absl::StrCat(call, " to ", peer, " failed: ", status.error_message());
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      return absl::UnavailableError(
          absl::StrCat(peer, " is unreachable (", call, ": ", status.error_message(), ")"));
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::UnavailableError(
          absl::StrCat(peer, " did not answer ", call, " within its deadline"));
    case grpc::StatusCode::PERMISSION_DENIED:
      return absl::PermissionDeniedError(message);
    case grpc::StatusCode::CANCELLED:
      return absl::CancelledError(message);
    default:
      return absl::Status(static_cast<absl::StatusCode>(status.error_code()), message);
  }
}

grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

}  // namespace distsim::comm

namespace distsim::comm {

absl::StatusOr<std::unique_ptr<ProcessServer>> ProcessServer::Start(
    const ServerOptions& options, const std::vector<grpc::Service*>& services) {
  absl::StatusOr<StartedServer> started = StartServer(options, services);
  if (!started.ok()) return started.status();
  std::unique_ptr<ProcessServer> out(new ProcessServer());
  out->server_ = std::move(started->server);
  out->address_ = started->address;
  out->port_ = started->port;
  return out;
}

ProcessServer::~ProcessServer() { Shutdown(); }

void ProcessServer::Shutdown(double grace_s) {
  if (server_ == nullptr) return;
  server_->Shutdown(DeadlineIn(grace_s));
  server_->Wait();
  server_.reset();
}

}  // namespace distsim::comm
