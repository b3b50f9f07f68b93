// TLS for the gRPC traffic of a run, as plain data: the three files a person gives a process
// (`--tls-cert`, `--tls-key`, `--tls-ca`) with their PEM contents, read once at the program's edge
// (sim/cli) and handed down by value to every server and channel the process makes
// (ServerOptions, CoordinatorClient, GrpcPsClientOptions, GrpcPeerLinkOptions). grpc_util.cc turns
// them into gRPC's SSL credentials; an empty TlsFiles means plaintext (the launcher's loopback
// runs).
//
// With TLS every connection is mutual: a server presents cert_chain_pem and requires the client's
// certificate, a client presents its own and checks the server's; both must chain to
// root_certs_pem, and the server's must name the host the client dials (a subjectAltName such as
// IP:127.0.0.1 or DNS:node3). The run token is still checked on every call.
//
// This header includes no gRPC header. Key material never goes into a message: errors name the
// files only.
#ifndef DISTSIM_SIM_COMM_TLS_H_
#define DISTSIM_SIM_COMM_TLS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace distsim::comm {

struct TlsFiles {
  // Where the material came from, for messages and for the command lines the coordinator prints.
  std::string cert_path;  // this process's certificate chain, leaf first
  std::string key_path;   // its private key (unencrypted PEM)
  std::string ca_path;    // the roots every peer's certificate must chain to
  // The contents of those files.
  std::string cert_chain_pem;
  std::string private_key_pem;
  std::string root_certs_pem;

  // TLS is on when the material is there (all three, as the CLI enforces).
  bool enabled() const { return !cert_chain_pem.empty(); }
};

// What a PEM file must hold.
enum class PemKind {
  kCertificates,  // one or more CERTIFICATE blocks, nothing else (a chain, or a set of roots)
  kPrivateKey,    // exactly one unencrypted PRIVATE KEY block (PKCS#8, RSA or EC)
};

// Checks the PEM structure of `pem`: BEGIN/END lines that pair up, base64 bodies holding DER, and
// the blocks `kind` asks for. It does not check signatures or that a key belongs to a
// certificate (gRPC does when the server starts or the handshake runs). DataLoss (exit 65) saying
// what is wrong, prefixed with `name` (e.g. "--tls-cert certs/node.pem"); the message never
// quotes the file's content.
absl::Status CheckPem(absl::string_view pem, PemKind kind, absl::string_view name);

}  // namespace distsim::comm

#endif  // DISTSIM_SIM_COMM_TLS_H_
