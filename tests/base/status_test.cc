#include "sim/base/status.h"

#include <cerrno>

#include "gtest/gtest.h"

namespace distsim {
namespace {

TEST(ExitCodeFor, EachFailureKindHasItsOwnSysexitsCode) {
  EXPECT_EQ(ExitCodeFor(absl::OkStatus()), 0);
  EXPECT_EQ(ExitCodeFor(absl::InvalidArgumentError("x")), 78);
  EXPECT_EQ(ExitCodeFor(absl::DataLossError("x")), 65);
  EXPECT_EQ(ExitCodeFor(absl::NotFoundError("x")), 66);
  EXPECT_EQ(ExitCodeFor(absl::UnavailableError("x")), 69);
  EXPECT_EQ(ExitCodeFor(absl::UnknownError("x")), 74);
  EXPECT_EQ(ExitCodeFor(absl::DeadlineExceededError("x")), 75);
  EXPECT_EQ(ExitCodeFor(absl::PermissionDeniedError("x")), 77);
  EXPECT_EQ(ExitCodeFor(absl::InternalError("x")), 70);
}

TEST(IoError, NamesThePathAndTheOsReason) {
  absl::Status missing = IoError("cannot open", "/no/such/file", ENOENT);
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.message().find("/no/such/file"), std::string::npos);
  EXPECT_NE(missing.message().find("No such file"), std::string::npos);
  EXPECT_EQ(IoError("cannot write", "f", EACCES).code(), absl::StatusCode::kUnknown);
}

absl::StatusOr<int> Half(int x) {
  if (x % 2) return absl::InvalidArgumentError("odd");
  return x / 2;
}

absl::Status Quarter(int x, int* out) {
  DS_ASSIGN_OR_RETURN(int half, Half(x));
  DS_ASSIGN_OR_RETURN(*out, Half(half));
  return absl::OkStatus();
}

TEST(StatusMacros, PropagateTheFirstError) {
  int out = 0;
  EXPECT_TRUE(Quarter(8, &out).ok());
  EXPECT_EQ(out, 2);
  EXPECT_EQ(Quarter(6, &out).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(out, 2);
}

}  // namespace
}  // namespace distsim
