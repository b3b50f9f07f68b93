// What a process reads at the program's edge that must not reach a command line or a log: the
// run token of a role process, and the TLS files of any process that serves or dials with TLS.
// Read once, here, before anything starts; below the CLI they travel as data.
#ifndef DISTSIM_SIM_CLI_SECRETS_H_
#define DISTSIM_SIM_CLI_SECRETS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "sim/comm/tls.h"

namespace distsim::cli {

// The run token of a role process: $DISTSIM_TOKEN, else the content of the file
// $DISTSIM_TOKEN_FILE names, which must be a regular file no other user can read.
// PermissionDenied (exit 77) when neither is set, the file is open to others, or it is empty;
// NotFound (66) when the file does not exist; Unknown (74) when it cannot be read.
absl::StatusOr<std::string> RunTokenFromEnvironment();

// Fills the PEM fields of `tls` from its three paths (all set, or none: then TLS stays off and
// this does nothing). Errors name the flag and the path, never the content:
//   NotFound (66)          a file does not exist
//   PermissionDenied (77)  the key file is not a regular file readable by its owner alone (its
//                          mode is named), as the token file
//   DataLoss (65)          a file is not the PEM it should be (comm::CheckPem)
//   Unknown (74)           a file cannot be read
absl::Status ReadTlsFiles(comm::TlsFiles* tls);

}  // namespace distsim::cli

#endif  // DISTSIM_SIM_CLI_SECRETS_H_
