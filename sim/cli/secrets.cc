#include "sim/cli/secrets.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "sim/base/status.h"
#include "sim/node/role_common.h"

namespace distsim::cli {
namespace {

// Far above any certificate chain or key; a bigger file is the wrong file.
constexpr off_t kMaxFileBytes = 1 << 20;

// The content of the file at `path`, which `name` names in errors ("--tls-key key.pem"). With
// `owner_only`, it must be a regular file with no permission bits for group or others.
absl::StatusOr<std::string> ReadEdgeFile(const std::string& name, const std::string& path,
                                         bool owner_only) {
  // Non-blocking, so that a FIFO given by mistake is refused instead of waited on.
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return IoError("cannot read", name, errno);
  struct stat info {};
  absl::Status status;
  std::string content;
  if (fstat(fd, &info) != 0) {
    status = IoError("cannot read", name, errno);
  } else if (owner_only && (!S_ISREG(info.st_mode) || (info.st_mode & 077) != 0)) {
    status = absl::PermissionDeniedError(absl::StrFormat(
        "%s: must be a regular file readable by its owner alone (chmod 600); it has mode %04o",
        name, info.st_mode & 07777));
  } else if (!S_ISREG(info.st_mode) || info.st_size > kMaxFileBytes) {
    status = absl::DataLossError(
        absl::StrCat(name, ": not a regular file of at most ", kMaxFileBytes, " bytes"));
  } else {
    content.resize(static_cast<size_t>(info.st_size));
    size_t have = 0;
    ssize_t got = 0;
    while (have < content.size() &&
           (got = read(fd, content.data() + have, content.size() - have)) > 0) {
      have += static_cast<size_t>(got);
    }
    if (got < 0) status = IoError("cannot read", name, errno);
    content.resize(have);
  }
  close(fd);
  if (!status.ok()) return status;
  return content;
}

// One of the three TLS files, read and checked as PEM of `kind`.
absl::StatusOr<std::string> ReadPemFile(const char* flag, const std::string& path,
                                        comm::PemKind kind) {
  const std::string name = absl::StrCat(flag, " ", path);
  DS_ASSIGN_OR_RETURN(std::string pem,
                      ReadEdgeFile(name, path, kind == comm::PemKind::kPrivateKey));
  DS_RETURN_IF_ERROR(comm::CheckPem(pem, kind, name));
  return pem;
}

}  // namespace

absl::StatusOr<std::string> RunTokenFromEnvironment() {
  if (const char* token = std::getenv(node::kTokenEnv); token != nullptr && *token != '\0') {
    // export-sagemaker writes "<not-a-token: ...>" where the secret goes; a job started with the
    // marker left in place would otherwise run with a token everyone can read.
    if (*token == '<') {
      return absl::PermissionDeniedError(absl::StrCat(
          "$", node::kTokenEnv, " holds a placeholder (it starts with '<'), not a run token: ",
          "set it from a secret store, e.g. AWS Secrets Manager"));
    }
    return std::string(token);
  }
  const char* path = std::getenv(node::kTokenFileEnv);
  if (path == nullptr || *path == '\0') {
    return absl::PermissionDeniedError(absl::StrCat(
        "no run token: a role process takes it from $", node::kTokenEnv, " or from the file $",
        node::kTokenFileEnv, " names (`distsim coordinator` prints the file to use)"));
  }
  const std::string name = absl::StrCat(node::kTokenFileEnv, "=", path);
  DS_ASSIGN_OR_RETURN(std::string content, ReadEdgeFile(name, path, /*owner_only=*/true));
  absl::string_view token = content;
  token = token.substr(0, token.find('\n'));
  absl::ConsumeSuffix(&token, "\r");
  if (token.empty()) return absl::PermissionDeniedError(absl::StrCat(name, ": empty"));
  return std::string(token);
}

absl::Status ReadTlsFiles(comm::TlsFiles* tls) {
  if (tls->cert_path.empty() && tls->key_path.empty() && tls->ca_path.empty()) {
    return absl::OkStatus();
  }
  DS_ASSIGN_OR_RETURN(tls->cert_chain_pem,
                      ReadPemFile("--tls-cert", tls->cert_path, comm::PemKind::kCertificates));
  DS_ASSIGN_OR_RETURN(tls->private_key_pem,
                      ReadPemFile("--tls-key", tls->key_path, comm::PemKind::kPrivateKey));
  DS_ASSIGN_OR_RETURN(tls->root_certs_pem,
                      ReadPemFile("--tls-ca", tls->ca_path, comm::PemKind::kCertificates));
  return absl::OkStatus();
}

}  // namespace distsim::cli
