// One run per results folder. Two runs with the same name would share out/<name>/: the children of
// one would read the other's run_config.textproto, and each would overwrite the other's results.
// A run therefore holds an exclusive flock on out/<name>/.lock, which also records its pid, for as
// long as it lives; the kernel drops the lock when the process ends, however it ends, so a stale
// lock file never blocks a later run.
#ifndef DISTSIM_SIM_NODE_RUN_LOCK_H_
#define DISTSIM_SIM_NODE_RUN_LOCK_H_

#include <string>

#include "absl/status/statusor.h"

namespace distsim::node {

class RunFolderLock {
 public:
  // Creates `dir` if needed and locks it. AlreadyExists (exit 73) naming the folder and the pid
  // of the run that holds it; Unknown (exit 74) if the lock file cannot be made.
  static absl::StatusOr<RunFolderLock> Acquire(const std::string& dir);

  RunFolderLock(RunFolderLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  RunFolderLock& operator=(RunFolderLock&& other) noexcept;
  RunFolderLock(const RunFolderLock&) = delete;
  RunFolderLock& operator=(const RunFolderLock&) = delete;
  ~RunFolderLock();  // releases the lock (the file stays: removing it would race a new run)

 private:
  explicit RunFolderLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace distsim::node

#endif  // DISTSIM_SIM_NODE_RUN_LOCK_H_
