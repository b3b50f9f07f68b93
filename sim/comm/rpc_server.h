// The one RPC server of a distsim process, seen from code that must not include gRPC (sim/node):
// it hosts the services of whatever strategy the process runs, each handed over as an opaque
// grpc::Service pointer obtained from a sim/comm factory.
#ifndef DISTSIM_SIM_COMM_RPC_SERVER_H_
#define DISTSIM_SIM_COMM_RPC_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sim/comm/tls.h"

namespace grpc {
class Server;
class Service;
}  // namespace grpc

namespace distsim::comm {

struct ServerOptions {
  std::string bind_host = "127.0.0.1";  // loopback unless asked otherwise
  int port = 0;                         // 0: any free port, reported back
  // Largest message accepted or sent. Derive it from the model size (chunks stay far below).
  int max_message_bytes = 8 << 20;
  // Cap on the threads gRPC's synchronous server may start (many processes share few cores).
  int max_threads = 8;
  // Serve TLS with this certificate and key, requiring clients' certificates to chain to its
  // roots (tls.h). Empty: plaintext.
  TlsFiles tls;
};

class ProcessServer {
 public:
  // Starts a server hosting `services` (not owned; they must outlive this object). Port reuse is
  // disabled. An error (Unavailable) names the address that could not be bound, and with TLS the
  // certificate and key files gRPC would not take.
  static absl::StatusOr<std::unique_ptr<ProcessServer>> Start(
      const ServerOptions& options, const std::vector<grpc::Service*>& services);
  ~ProcessServer();  // shuts down (cancelling in-flight calls after a short grace)

  const std::string& address() const { return address_; }  // host:port actually bound
  int port() const { return port_; }
  // Stops accepting calls; in-flight calls get `grace_s` seconds, then are cancelled.
  void Shutdown(double grace_s = 0.5);

 private:
  ProcessServer() = default;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  int port_ = 0;
};

}  // namespace distsim::comm

#endif  // DISTSIM_SIM_COMM_RPC_SERVER_H_
