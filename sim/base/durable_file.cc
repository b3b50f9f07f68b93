#include "sim/base/durable_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "sim/base/status.h"

namespace distsim {
namespace {

// Writes all of `bytes` to `fd`, retrying short writes and EINTR. 0 or the errno.
int WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return 0;
}

}  // namespace

absl::Status SyncDir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError("cannot open folder", dir, errno);
  const int err = ::fsync(fd) == 0 ? 0 : errno;
  ::close(fd);
  if (err != 0) return IoError("cannot sync folder", dir, err);
  return absl::OkStatus();
}

absl::Status WriteFileDurably(const std::string& path, std::string_view bytes) {
  const std::string tmp = absl::StrCat(path, std::string(kTempSuffix), static_cast<int>(::getpid()));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("cannot write", tmp, errno);
  int err = WriteAll(fd, bytes);
  if (err == 0 && ::fsync(fd) != 0) err = errno;
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err == 0 && std::rename(tmp.c_str(), path.c_str()) != 0) err = errno;
  if (err != 0) {
    ::unlink(tmp.c_str());  // no half-written temporary file is left behind
    return IoError("cannot write", path, err);
  }
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  return SyncDir(parent.empty() ? "." : parent.string());
}

}  // namespace distsim
