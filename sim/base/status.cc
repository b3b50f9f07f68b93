#include "sim/base/status.h"

#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"

namespace distsim {

int ExitCodeFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return kExitOk;
    case absl::StatusCode::kInvalidArgument:
      return kExitConfig;
    case absl::StatusCode::kDataLoss:
      return kExitDataErr;
    case absl::StatusCode::kNotFound:
      return kExitNoInput;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kAborted:
      return kExitUnavailable;
    case absl::StatusCode::kDeadlineExceeded:
      return kExitTempFail;
    case absl::StatusCode::kPermissionDenied:
      return kExitNoPerm;
    case absl::StatusCode::kAlreadyExists:
      return kExitCantCreate;
    case absl::StatusCode::kUnknown:
      return kExitIoErr;
    case absl::StatusCode::kCancelled:
      return kExitInterrupted;
    default:
      return kExitSoftware;
  }
}

absl::Status IoError(std::string_view what, std::string_view path, int errno_value) {
  std::string message = absl::StrCat(std::string(what), " ", std::string(path), ": ",
                                     std::strerror(errno_value));
  if (errno_value == ENOENT) return absl::NotFoundError(message);
  return absl::UnknownError(message);
}

}  // namespace distsim
