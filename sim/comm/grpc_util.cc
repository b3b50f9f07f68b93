#include "sim/comm/grpc_util.h"

#include <algorithm>
#include <cstdlib>

#include <grpc/support/log.h>
#include <grpcpp/generic/generic_stub.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"

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

std::shared_ptr<grpc::ServerCredentials> ServerCredentialsFor(const TlsFiles& tls) {
  if (!tls.enabled()) return grpc::InsecureServerCredentials();
  // Mutual TLS: a client without a certificate from the same roots is refused at the handshake.
  grpc::SslServerCredentialsOptions ssl(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  ssl.pem_root_certs = tls.root_certs_pem;
  ssl.pem_key_cert_pairs.push_back({tls.private_key_pem, tls.cert_chain_pem});
  return grpc::SslServerCredentials(ssl);
}

std::shared_ptr<grpc::ChannelCredentials> ChannelCredentialsFor(const TlsFiles& tls) {
  if (!tls.enabled()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = tls.root_certs_pem;
  ssl.pem_private_key = tls.private_key_pem;
  ssl.pem_cert_chain = tls.cert_chain_pem;
  return grpc::SslCredentials(ssl);
}

}  // namespace

absl::StatusOr<StartedServer> StartServer(const ServerOptions& options,
                                          const std::vector<grpc::Service*>& services) {
  QuietGrpcLog();
  grpc::ServerBuilder builder;
  std::string address = absl::StrCat(options.bind_host, ":", options.port);
  StartedServer out;
  builder.AddListeningPort(address, ServerCredentialsFor(options.tls), &out.port);
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  builder.SetMaxSendMessageSize(options.max_message_bytes);
  grpc::ResourceQuota quota("distsim");
  quota.SetMaxThreads(options.max_threads);
  builder.SetResourceQuota(quota);
  for (grpc::Service* service : services) builder.RegisterService(service);
  out.server = builder.BuildAndStart();
  if (out.server == nullptr || out.port == 0) {
    if (options.tls.enabled()) {
      return absl::UnavailableError(absl::StrCat("cannot serve TLS on ", address,
                                                 ": the address is in use or not local, or gRPC "
                                                 "refused the certificate ",
                                                 options.tls.cert_path, " with the key ",
                                                 options.tls.key_path,
                                                 " (is it the key of that certificate?)"));
    }
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", address, " (address in use or not local?)"));
  }
  out.address = absl::StrCat(options.bind_host, ":", out.port);
  return out;
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address, int max_message_bytes,
                                           const TlsFiles& tls) {
  QuietGrpcLog();
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(max_message_bytes);
  args.SetMaxSendMessageSize(max_message_bytes);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 20);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 200);
  // Not GRPC_ARG_MIN_RECONNECT_BACKOFF_MS: gRPC takes it as the least time a connection attempt
  // is given to complete. Set to 20 ms, it made a loaded machine's handshakes (256 workers
  // starting on two cores) time out again and again, flooding the coordinator's accept queue
  // with abandoned connections. gRPC's default (20 s) lets an attempt finish; a refused
  // connection still fails at once and is retried after the 20-200 ms back-off.
  // Each peer gets its own TCP connection even when two channels point at the same address.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(address, ChannelCredentialsFor(tls), args);
}

namespace {

// How often a wait for a connection asks why it is not connected yet.
constexpr std::chrono::seconds kProbeEvery(2);

// One fail-fast call, with a 1 s deadline, to a method nobody serves: its status says whether a
// server is reached at all and, if not, why gRPC last failed to connect.
grpc::Status Probe(grpc::Channel& channel) {
  grpc::GenericStub stub(channel.shared_from_this());
  grpc::ClientContext context;
  context.set_deadline(DeadlineIn(1.0));
  grpc::Slice empty;
  grpc::ByteBuffer request(&empty, 1), reply;  // a default ByteBuffer is no message at all
  grpc::Status status;
  absl::Notification done;
  stub.UnaryCall(&context, "/distsim.ConnectProbe/None", grpc::StubOptions(), &request, &reply,
                 [&](grpc::Status s) {
                   status = std::move(s);
                   done.Notify();
                 });
  done.WaitForNotification();
  return status;
}

// Whether a probe's `status` says the peer was reached and refused the handshake; false when the
// peer was not there (refused, timed out) or the channel now connects.
bool IsHandshakeRefusal(const grpc::Status& status) {
  if (status.error_code() != grpc::StatusCode::UNAVAILABLE) return false;
  const std::string& why = status.error_message();
  for (const char* transient : {"Connection refused", "Deadline", "deadline", "Timeout",
                                "timed out", "Connection reset"}) {
    if (why.find(transient) != std::string::npos) return false;
  }
  for (const char* refused : {"handshake", "Handshake", "certificate", "Socket closed", "SSL",
                              "ssl", "tls", "TLS"}) {
    if (why.find(refused) != std::string::npos) return true;
  }
  return false;
}

// The tail of a "could not connect" message from a probe's `status`: gRPC's reason and the TLS
// advice. Empty when the probe reached a server.
std::string WhyNotConnectedFrom(const grpc::Status& status, const TlsFiles& tls) {
  std::string why;
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    if (!status.error_message().empty()) why = absl::StrCat(": ", status.error_message());
  } else if (status.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED) {
    return "";  // the probe reached a server: the connection itself works
  }
  if (tls.enabled()) {
    return absl::StrCat(why,
                        " (over TLS, the peer must serve TLS with a certificate that names "
                        "the host dialled and chains to ",
                        tls.ca_path, ", and trust the roots this process's --tls-cert chains to)");
  }
  return absl::StrCat(why,
                      " (if the peer serves TLS, this process needs --tls-cert, --tls-key "
                      "and --tls-ca too)");
}

}  // namespace

absl::Status WaitForReady(grpc::Channel& channel, std::chrono::milliseconds timeout,
                          const std::string& peer, const TlsFiles& tls) {
  const auto deadline = std::chrono::system_clock::now() + timeout;
  // A peer that is not up yet refuses the connection, and a loaded machine is slow to finish a
  // handshake: both are waited out. A peer that is up but refuses the handshake (TLS on one
  // side only, a certificate from another authority) will not change its mind: said at once.
  while (true) {
    const auto slice = std::min(deadline, std::chrono::system_clock::now() + kProbeEvery);
    if (channel.WaitForConnected(slice)) return absl::OkStatus();
    if (std::chrono::system_clock::now() >= deadline) break;
    if (const grpc::Status probe = Probe(channel); IsHandshakeRefusal(probe)) {
      return absl::UnavailableError(
          absl::StrCat(peer, " refused the connection", WhyNotConnectedFrom(probe, tls)));
    }
  }
  return absl::UnavailableError(absl::StrCat(peer, " did not accept a connection within ",
                                             timeout.count(), " ms",
                                             WhyNotConnected(channel, tls)));
}

std::string WhyNotConnected(grpc::Channel& channel, const TlsFiles& tls) {
  return WhyNotConnectedFrom(Probe(channel), tls);
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
