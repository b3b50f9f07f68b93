// Status helpers: propagation macros (Debian's abseil has none) and the one mapping from a Status
// to a process exit code.
//
// Status codes carry the kind of failure; the message names the thing (file and offset, config
// field and allowed range, rank and peer). Which code to use:
//   InvalidArgument   a config value or command-line argument is wrong      -> exit 78 (EX_CONFIG)
//   DataLoss          an input file's content is malformed                  -> exit 65 (EX_DATAERR)
//   NotFound          an input file or folder does not exist                -> exit 66 (EX_NOINPUT)
//   Unavailable       a peer failed, died or is unreachable                 -> exit 69 (EX_UNAVAILABLE)
//   Aborted           the coordinator stopped the run (a peer failed)       -> exit 69
//   DeadlineExceeded  a live peer stalled past stall_timeout                -> exit 75 (EX_TEMPFAIL)
//   PermissionDenied  a message from another run (wrong token) was refused  -> exit 77 (EX_NOPERM)
//   AlreadyExists     the run's results folder is in use by another run     -> exit 73 (EX_CANTCREAT)
//   Unknown           reading or writing a file failed (an OS error)        -> exit 74 (EX_IOERR)
//   Cancelled         the user interrupted the run (Ctrl-C)                 -> exit 130
//   anything else     a bug                                                 -> exit 70 (EX_SOFTWARE)
#ifndef DISTSIM_SIM_BASE_STATUS_H_
#define DISTSIM_SIM_BASE_STATUS_H_

#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace distsim {

// sysexits.h values, named here so that main() and the tests agree.
enum ExitCode : int {
  kExitOk = 0,
  kExitUsage = 64,
  kExitDataErr = 65,
  kExitNoInput = 66,
  kExitUnavailable = 69,
  kExitSoftware = 70,
  kExitCantCreate = 73,
  kExitIoErr = 74,
  kExitTempFail = 75,
  kExitNoPerm = 77,
  kExitConfig = 78,
  kExitInterrupted = 130,
};

int ExitCodeFor(const absl::Status& status);

// The Status code whose exit code is `exit_code` (ExitCodeFor's inverse; codes it never gives,
// and 69, map to Unavailable): how a launcher passes on the kind of a child's failure.
absl::StatusCode StatusCodeForExit(int exit_code);

// An OS-level I/O failure on `path`: "<what> <path>: <strerror(errno_value)>", code Unknown.
absl::Status IoError(std::string_view what, std::string_view path, int errno_value);

}  // namespace distsim

#define DS_STATUS_CONCAT_INNER_(a, b) a##b
#define DS_STATUS_CONCAT_(a, b) DS_STATUS_CONCAT_INNER_(a, b)

// Returns from the enclosing function if `expr` (an absl::Status) is not OK.
#define DS_RETURN_IF_ERROR(expr)                   \
  do {                                             \
    ::absl::Status ds_status_ = (expr);            \
    if (!ds_status_.ok()) return ds_status_;       \
  } while (0)

// `lhs = value of expr` (an absl::StatusOr<T>), or returns its error.
#define DS_ASSIGN_OR_RETURN(lhs, expr) \
  DS_ASSIGN_OR_RETURN_IMPL_(DS_STATUS_CONCAT_(ds_statusor_, __LINE__), lhs, expr)
#define DS_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()

#endif  // DISTSIM_SIM_BASE_STATUS_H_
