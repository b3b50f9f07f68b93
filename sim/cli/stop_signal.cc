#include "sim/cli/stop_signal.h"

#include <csignal>

#include "sim/base/status.h"

namespace distsim::cli {
namespace {

std::atomic<bool> g_stop{false};
std::atomic<int> g_signal{0};

void OnStopSignal(int signal) {
  g_signal.store(signal);
  g_stop.store(true);
  if (signal == SIGINT) std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C ends it at once
}

}  // namespace

const std::atomic<bool>* InstallStopSignals() {
  std::signal(SIGTERM, OnStopSignal);
  std::signal(SIGINT, OnStopSignal);
  return &g_stop;
}

int StopSignal() { return g_signal.load(); }

int ExitCodeAfterStop(const absl::Status& status) {
  if (absl::IsCancelled(status) && StopSignal() != 0) return 128 + StopSignal();
  return ExitCodeFor(status);
}

}  // namespace distsim::cli
