// Test helpers for running the distsim binary as a user would: spawn, capture stderr, wait with a
// timeout, find a launcher's children. Every spawned process is reaped or killed before return.
#ifndef DISTSIM_TESTS_NODE_PROCESS_UTIL_H_
#define DISTSIM_TESTS_NODE_PROCESS_UTIL_H_

#include <sys/types.h>

#include <string>
#include <vector>

namespace distsim::testing {

struct Spawned {
  pid_t pid = 0;
  int stderr_fd = -1;  // read end of the child's stderr
};

// Starts argv with stderr piped back and stdout discarded.
Spawned Spawn(const std::vector<std::string>& argv);

struct Finished {
  bool timed_out = false;
  int exit_code = -1;  // -1 if killed by a signal
  int signal = 0;
  double seconds = 0;  // from the call to the exit
  std::string err;
};

// Waits up to timeout_s for the child, collecting its stderr; on timeout SIGKILLs it.
Finished Wait(Spawned child, double timeout_s);

// Runs argv to completion (or timeout).
Finished Run(const std::vector<std::string>& argv, double timeout_s);

// Reads the running child's stderr until what was read contains `needle` or timeout_s passes;
// returns what it read (Wait then collects only the rest).
std::string ReadStderrUntil(const Spawned& child, const std::string& needle, double timeout_s);

// Pids whose parent is `parent` and whose command line contains every one of `needles`.
std::vector<pid_t> ChildrenOf(pid_t parent, const std::vector<std::string>& needles = {});

// True while `pid` exists and is not a zombie.
bool Alive(pid_t pid);

// Makes this process the reaper of orphaned descendants (so a test can wait for the children of
// a launcher it killed) and reaps any that already ended.
void BecomeSubreaper();
void ReapOrphans();

// Polls `condition` every 20 ms for up to timeout_s; returns whether it became true.
template <typename F>
bool Eventually(F condition, double timeout_s);

}  // namespace distsim::testing

#include <chrono>
#include <thread>

namespace distsim::testing {
template <typename F>
bool Eventually(F condition, double timeout_s) {
  auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (std::chrono::steady_clock::now() < end) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return condition();
}
}  // namespace distsim::testing

#endif  // DISTSIM_TESTS_NODE_PROCESS_UTIL_H_
