// SIGTERM and SIGINT as a flag a long command polls: the commands that supervise other processes
// (`distsim run`, `compare`, `coordinator`, `train`, `local`) stop them in order when it is set,
// and exit 128 + the signal: 130 for Ctrl-C, 143 for SIGTERM (what SageMaker and Kubernetes send
// before SIGKILL). A second Ctrl-C ends the process at once.
#ifndef DISTSIM_SIM_CLI_STOP_SIGNAL_H_
#define DISTSIM_SIM_CLI_STOP_SIGNAL_H_

#include <atomic>

#include "absl/status/status.h"

namespace distsim::cli {

// Installs the handlers; returns the flag they set.
const std::atomic<bool>* InstallStopSignals();

// The signal that set the flag (0 while none has).
int StopSignal();

// The exit code of a command that ended with `status`: 128 + the signal when a stop signal
// cancelled it (130 Ctrl-C, 143 SIGTERM), else ExitCodeFor's.
int ExitCodeAfterStop(const absl::Status& status);

}  // namespace distsim::cli

#endif  // DISTSIM_SIM_CLI_STOP_SIGNAL_H_
