#include "sim/node/run_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "sim/base/status.h"
#include "sim/report/result_io.h"

namespace distsim::node {
namespace {

// The pid the holder wrote into the lock file ("" if it has not yet).
std::string HolderPid(int fd) {
  char buffer[32] = {};
  const ssize_t n = pread(fd, buffer, sizeof(buffer) - 1, 0);
  return n > 0 ? std::string(absl::StripAsciiWhitespace(std::string(buffer, n))) : "";
}

}  // namespace

absl::StatusOr<RunFolderLock> RunFolderLock::Acquire(const std::string& dir) {
  DS_RETURN_IF_ERROR(report::EnsureDir(dir));
  const std::string path = (std::filesystem::path(dir) / ".lock").string();
  // O_CLOEXEC: the run's children must not inherit (and so keep) the lock.
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("cannot create the lock file", path, errno);
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    const std::string holder = HolderPid(fd);
    close(fd);
    if (err != EWOULDBLOCK) return IoError("cannot lock", path, err);
    return absl::AlreadyExistsError(absl::StrCat(
        dir, " is in use by another run with the same name (pid ",
        holder.empty() ? "unknown" : holder,
        "): wait for it to end, or give this run another name or --out folder"));
  }
  const std::string pid = absl::StrCat(getpid(), "\n");
  if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) !=
                                   static_cast<ssize_t>(pid.size())) {
    const int err = errno;
    close(fd);
    return IoError("cannot write the lock file", path, err);
  }
  return RunFolderLock(fd);
}

RunFolderLock& RunFolderLock::operator=(RunFolderLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

RunFolderLock::~RunFolderLock() {
  if (fd_ >= 0) close(fd_);  // closing the last descriptor releases the flock
}

}  // namespace distsim::node
