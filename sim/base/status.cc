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

absl::StatusCode StatusCodeForExit(int exit_code) {
  switch (exit_code) {
    case kExitOk:
      return absl::StatusCode::kOk;
    case kExitTempFail:
      return absl::StatusCode::kDeadlineExceeded;
    case kExitConfig:
      return absl::StatusCode::kInvalidArgument;
    case kExitDataErr:
      return absl::StatusCode::kDataLoss;
    case kExitNoInput:
      return absl::StatusCode::kNotFound;
    case kExitNoPerm:
      return absl::StatusCode::kPermissionDenied;
    case kExitIoErr:
      return absl::StatusCode::kUnknown;
    case kExitCantCreate:
      return absl::StatusCode::kAlreadyExists;
    case kExitSoftware:
      return absl::StatusCode::kInternal;
    case kExitInterrupted:
      return absl::StatusCode::kCancelled;
    default:
      return absl::StatusCode::kUnavailable;
  }
}

absl::Status IoError(std::string_view what, std::string_view path, int errno_value) {
  std::string message = absl::StrCat(std::string(what), " ", std::string(path), ": ",
                                     std::strerror(errno_value));
  if (errno_value == ENOENT) return absl::NotFoundError(message);
  return absl::UnknownError(message);
}

}  // namespace distsim
