// Child processes of a run: spawned from the launcher's main thread, watched, and never left
// behind. Every child gets a parent-death signal (SIGKILL) and checks, before it execs, that its
// parent is still the launcher (the launcher may have died between fork and prctl). Children
// ignore SIGINT: on Ctrl-C the launcher stops them through the coordinator, so an interrupted run
// is not reported as a crash of every child.
//
// Not thread-safe: use from one thread (the launcher's main thread).
#ifndef DISTSIM_SIM_NODE_LAUNCHER_H_
#define DISTSIM_SIM_NODE_LAUNCHER_H_

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace distsim::node {

struct ChildExit {
  pid_t pid = 0;
  int exit_code = -1;  // when it exited; -1 when killed by a signal
  int signal = 0;      // when killed by a signal
};

// "exited with code 3", "was killed by signal 9 (SIGKILL)".
std::string DescribeExit(const ChildExit& exit);

// The path of the running executable (/proc/self/exe resolved).
std::string SelfExecutable();

class ChildProcesses {
 public:
  ChildProcesses() = default;
  ChildProcesses(const ChildProcesses&) = delete;
  ChildProcesses& operator=(const ChildProcesses&) = delete;
  ~ChildProcesses();  // kills and reaps whatever still runs

  // Starts argv[0] with argv, in this process's environment with the "NAME=value" entries of
  // `env` added (replacing any of the same name): secrets go there, never on the command line,
  // which every user of the machine can read. `log_path`, when not empty, receives the child's
  // stdout and stderr (appended; created 0600). Unknown (I/O) error if fork or exec fails or the
  // log cannot be opened.
  absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& argv,
                              const std::vector<std::string>& env = {},
                              const std::string& log_path = "");

  // Children that ended since the last call (non-blocking).
  std::vector<ChildExit> Reap();

  // Sends `signal` to every child still running.
  void SignalAll(int signal);

  // SIGKILLs every child still running and waits for each (bounded: a SIGKILLed child ends).
  void KillAll();

  // Reaps children (polling) until none runs or `timeout` passes, then KillAll()s the rest.
  // Returns every exit it saw, the killed ones included.
  std::vector<ChildExit> WaitAll(absl::Duration timeout);

  size_t running() const { return running_.size(); }

 private:
  std::map<pid_t, bool> running_;
};

// In a child started by ChildProcesses (or by hand with --parent-pid): asks the kernel to
// SIGKILL this process when its parent dies, and exits at once if the parent is already not
// `expected_parent` (0: skip the check).
void GuardParent(pid_t expected_parent);

}  // namespace distsim::node

#endif  // DISTSIM_SIM_NODE_LAUNCHER_H_
