#include "sim/node/launcher.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "sim/base/status.h"

namespace distsim::node {

std::string DescribeExit(const ChildExit& exit) {
  if (exit.signal != 0) {
    const char* name = sigabbrev_np(exit.signal);
    return absl::StrCat("was killed by signal ", exit.signal, " (SIG", name ? name : "?", ")");
  }
  return absl::StrCat("exited with code ", exit.exit_code);
}

std::string SelfExecutable() {
  char path[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (n <= 0) return "distsim";
  path[n] = '\0';
  return path;
}

ChildProcesses::~ChildProcesses() { KillAll(); }

absl::StatusOr<pid_t> ChildProcesses::Spawn(const std::vector<std::string>& argv,
                                            const std::vector<std::string>& env,
                                            const std::string& log_path) {
  // Everything the child needs is prepared before fork: between fork and exec in a threaded
  // process only async-signal-safe calls are allowed.
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> environment;
  for (const std::string& e : env) environment.push_back(const_cast<char*>(e.c_str()));
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const bool replaced = std::any_of(env.begin(), env.end(), [&](const std::string& mine) {
      return entry.substr(0, entry.find('=') + 1) == mine.substr(0, mine.find('=') + 1);
    });
    if (!replaced) environment.push_back(*e);
  }
  environment.push_back(nullptr);
  int log_fd = -1;
  if (!log_path.empty()) {
    log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (log_fd < 0) return IoError("cannot open the log", log_path, errno);
  }
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    const int error = errno;
    if (log_fd >= 0) close(log_fd);
    return IoError("cannot fork to start", argv[0], error);
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(kExitUnavailable);
    if (log_fd >= 0 && (dup2(log_fd, STDOUT_FILENO) < 0 || dup2(log_fd, STDERR_FILENO) < 0)) {
      _exit(127);
    }
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGINT, &ignore, nullptr);
    execve(args[0], args.data(), environment.data());
    _exit(127);
  }
  if (log_fd >= 0) close(log_fd);
  running_[pid] = true;
  return pid;
}

std::vector<ChildExit> ChildProcesses::Reap() {
  std::vector<ChildExit> out;
  for (auto it = running_.begin(); it != running_.end();) {
    int status = 0;
    pid_t r = waitpid(it->first, &status, WNOHANG);
    if (r == it->first) {
      ChildExit e;
      e.pid = r;
      if (WIFSIGNALED(status)) e.signal = WTERMSIG(status);
      if (WIFEXITED(status)) e.exit_code = WEXITSTATUS(status);
      out.push_back(e);
      it = running_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

void ChildProcesses::SignalAll(int signal) {
  for (const auto& [pid, unused] : running_) kill(pid, signal);
}

void ChildProcesses::KillAll() {
  SignalAll(SIGKILL);
  for (const auto& [pid, unused] : running_) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  running_.clear();
}

std::vector<ChildExit> ChildProcesses::WaitAll(absl::Duration timeout) {
  std::vector<ChildExit> exits;
  const absl::Time give_up = absl::Now() + timeout;
  while (running() > 0) {
    for (const ChildExit& e : Reap()) exits.push_back(e);
    if (running() == 0 || absl::Now() > give_up) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  for (const auto& [pid, unused] : running_) exits.push_back({pid, -1, SIGKILL});
  KillAll();
  return exits;
}

void GuardParent(pid_t expected_parent) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (expected_parent != 0 && getppid() != expected_parent) _exit(kExitUnavailable);
}

}  // namespace distsim::node
