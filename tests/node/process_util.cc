#include "tests/node/process_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>

namespace distsim::testing {

Spawned Spawn(const std::vector<std::string>& argv) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    close(fds[0]);
    close(fds[1]);
    execv(args[0], args.data());
    _exit(127);
  }
  close(fds[1]);
  fcntl(fds[0], F_SETFL, O_NONBLOCK);
  return {pid, fds[0]};
}

Finished Wait(Spawned child, double timeout_s) {
  Finished out;
  auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  int status = 0;
  bool done = false;
  char buffer[4096];
  while (!done) {
    pollfd p{child.stderr_fd, POLLIN, 0};
    poll(&p, 1, 20);
    ssize_t n;
    while ((n = read(child.stderr_fd, buffer, sizeof(buffer))) > 0) out.err.append(buffer, n);
    if (waitpid(child.pid, &status, WNOHANG) == child.pid) {
      done = true;
    } else if (elapsed() > timeout_s) {
      out.timed_out = true;
      kill(child.pid, SIGKILL);
      waitpid(child.pid, &status, 0);
      done = true;
    }
  }
  ssize_t n;
  while ((n = read(child.stderr_fd, buffer, sizeof(buffer))) > 0) out.err.append(buffer, n);
  close(child.stderr_fd);
  out.seconds = elapsed();
  if (WIFEXITED(status)) out.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) out.signal = WTERMSIG(status);
  return out;
}

Finished Run(const std::vector<std::string>& argv, double timeout_s) {
  return Wait(Spawn(argv), timeout_s);
}

std::string ReadStderrUntil(const Spawned& child, const std::string& needle, double timeout_s) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  std::string err;
  char buffer[4096];
  while (err.find(needle) == std::string::npos && std::chrono::steady_clock::now() < end) {
    pollfd p{child.stderr_fd, POLLIN, 0};
    poll(&p, 1, 20);
    ssize_t n;
    while ((n = read(child.stderr_fd, buffer, sizeof(buffer))) > 0) err.append(buffer, n);
  }
  return err;
}

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Fields of /proc/PID/stat after the command name: state and ppid.
bool StatOf(pid_t pid, char* state, pid_t* ppid) {
  std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  size_t close_paren = stat.rfind(')');
  if (close_paren == std::string::npos) return false;
  std::istringstream rest(stat.substr(close_paren + 2));
  rest >> *state >> *ppid;
  return static_cast<bool>(rest);
}

}  // namespace

std::vector<pid_t> ChildrenOf(pid_t parent, const std::vector<std::string>& needles) {
  std::vector<pid_t> out;
  DIR* dir = opendir("/proc");
  if (dir == nullptr) return out;
  while (dirent* entry = readdir(dir)) {
    pid_t pid = static_cast<pid_t>(std::atoi(entry->d_name));
    if (pid <= 0) continue;
    char state = 0;
    pid_t ppid = 0;
    if (!StatOf(pid, &state, &ppid) || ppid != parent || state == 'Z') continue;
    std::string cmdline = ReadFile("/proc/" + std::to_string(pid) + "/cmdline");
    for (char& c : cmdline) {
      if (c == '\0') c = ' ';
    }
    bool all = true;
    for (const std::string& needle : needles) all &= cmdline.find(needle) != std::string::npos;
    if (all) out.push_back(pid);
  }
  closedir(dir);
  return out;
}

bool Alive(pid_t pid) {
  char state = 0;
  pid_t ppid = 0;
  return StatOf(pid, &state, &ppid) && state != 'Z' && state != 'X';
}

void BecomeSubreaper() { prctl(PR_SET_CHILD_SUBREAPER, 1); }

void ReapOrphans() {
  int status;
  while (waitpid(-1, &status, WNOHANG) > 0) {
  }
}

}  // namespace distsim::testing
