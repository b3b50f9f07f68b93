// distsim: a simulator and benchmark of distributed training on one machine.
// main() alone turns a Status into an exit code and one line on stderr.
#include <csignal>
#include <cstdio>
#include <string>
#include <utility>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "sim/base/status.h"
#include "sim/cli/export_command.h"
#include "sim/cli/help.h"
#include "sim/cli/local_command.h"
#include "sim/cli/run_command.h"
#include "sim/cli/staleness_command.h"
#include "sim/cli/stop_signal.h"
#include "sim/cli/subcommands.h"
#include "sim/cli/tf_config_env.h"
#include "sim/cli/train_command.h"
#include "sim/node/build_info.h"

namespace {

using distsim::cli::Options;
using distsim::cli::Subcommands;

// Loopback: 127.0.0.0/8, ::1 and localhost. Anything else is reachable from other machines.
bool IsLoopback(const std::string& host) {
  return host.rfind("127.", 0) == 0 || host == "localhost" || host == "::1" || host == "[::1]";
}

// A non-loopback --listen or --bind without --allow-remote is a usage error (exit 64): serving
// unencrypted on every interface must be asked for.
int CheckRemote(const Subcommands& c, const Options& o) {
  std::string flag, host;
  if (c.coordinator->parsed()) {
    flag = "--listen " + o.listen;
    host = o.listen.substr(0, o.listen.rfind(':'));
  } else if (c.worker->parsed() || c.server->parsed()) {
    flag = "--bind " + o.role.bind_host;
    host = o.role.bind_host;
  } else {
    return 0;
  }
  if (IsLoopback(host) || o.allow_remote) return 0;
  std::fprintf(stderr,
               "%s: serves on an address other machines can reach; add --allow-remote if that "
               "is meant\n",
               flag.c_str());
  return distsim::kExitUsage;
}

// "distsim worker 2": who says a line on stderr.
std::string Who(const Subcommands& c, const Options& o) {
  if (c.worker->parsed()) return "distsim worker " + std::to_string(o.role.rank);
  if (c.server->parsed()) return "distsim server " + std::to_string(o.role.rank);
  if (c.coordinator->parsed()) return "distsim coordinator";
  return "distsim";
}

// Traffic that may cross the network (--allow-remote, or a role dialling a coordinator on another
// host) without TLS: one line on stderr (stdout carries results) says it is unencrypted.
void WarnIfUnencrypted(const Subcommands& c, const Options& o) {
  if (!o.tls.cert_path.empty()) return;
  const bool role = c.worker->parsed() || c.server->parsed();
  if (!role && !c.coordinator->parsed()) return;
  const std::string& coordinator = o.role.coordinator;
  const bool remote_coordinator =
      role && !IsLoopback(coordinator.substr(0, coordinator.rfind(':')));
  if (!o.allow_remote && !remote_coordinator) return;
  std::fprintf(stderr,
               "%s: warning: the run's traffic is unencrypted (the run token alone keeps "
               "strangers out); --tls-cert, --tls-key and --tls-ca encrypt it\n",
               Who(c, o).c_str());
}

// Runs the parsed subcommand; the exit code, with one line on stderr for an error.
int Dispatch(const Subcommands& c, const Options& o) {
  absl::Status status;
  if (c.train->parsed()) {
    return distsim::cli::TrainCommand(o.train);
  } else if (c.local->parsed()) {
    return distsim::cli::LocalCommand(o.flags, o.local);
  } else if (c.run->parsed()) {
    status = distsim::cli::RunCommand(o.flags);
  } else if (c.check->parsed()) {
    status = distsim::cli::CheckCommand(o.flags);
  } else if (c.compare->parsed()) {
    status = distsim::cli::CompareCommand(o.flags);
  } else if (c.report->parsed()) {
    status = distsim::cli::ReportCommand(o.flags.config_path, o.flags.json);
  } else if (c.staleness->parsed()) {
    status = distsim::cli::StalenessCommand(o.flags, o.staleness_threads);
  } else if (c.predict->parsed()) {
    status = distsim::cli::PredictCommand(o.flags, o.predict);
  } else if (c.export_sagemaker->parsed()) {
    status = distsim::cli::ExportSagemakerCommand(o.flags, o.export_result);
  } else if (c.plan->parsed()) {
    status = distsim::cli::PlanCommand(o.flags);
  } else if (c.coordinator->parsed()) {
    status = distsim::cli::CoordinatorCommand(o.flags, o.listen, o.tls);
  } else if (c.worker->parsed() || c.server->parsed()) {
    distsim::node::RoleFlags role = o.role;
    role.tls = o.tls;
    status = distsim::cli::RoleCommand(c.server->parsed(), std::move(role));
    if (absl::IsAborted(status)) {
      return distsim::ExitCodeFor(status);  // the launcher reports why; stay quiet
    }
  }
  if (!status.ok()) {
    // The coordinator's errors keep the plain "distsim: " of every other subcommand.
    const std::string who = c.coordinator->parsed() ? "distsim" : Who(c, o);
    const bool sigterm = absl::IsCancelled(status) && distsim::cli::StopSignal() == SIGTERM;
    std::fprintf(stderr, "%s: %s%s\n", who.c_str(), sigterm ? "stopped by SIGTERM: " : "",
                 std::string(status.message()).c_str());
    return distsim::cli::ExitCodeAfterStop(status);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Debian's abseil checks every Mutex acquisition against a lock graph (deadlock detection):
  // with hundreds of processes on two cores that bookkeeping was about a twentieth of a PS
  // run's CPU.
  // The thread-safety annotations and the TSan build are what check the locking.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // Named, so that usage lines say `distsim` and not the path the binary was started by.
  CLI::App app{
      "distsim: compare distributed-training strategies on one machine.\n"
      "Real processes, real Eigen kernels, MNIST; results in out/<run-name>/.",
      "distsim"};
  app.footer(distsim::cli::HelpFooter(
      "distsim run configs/mnist_mlp.textproto; distsim compare configs/workshop.textproto; "
      "distsim <subcommand> --help"));
  app.require_subcommand(1);
  app.set_version_flag(
      "--version", std::string("distsim ") + DISTSIM_VERSION + " (" + DISTSIM_GIT_REVISION + ")");
  Options options;
  options.flags.command_line = absl::StrJoin(argv, argv + argc, " ");
  options.train.command_line = options.flags.command_line;
  const Subcommands commands = distsim::cli::AddSubcommands(&app, &options);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : distsim::kExitUsage;
  }
  if (commands.worker->parsed() || commands.server->parsed()) {
    CLI::App* role = commands.server->parsed() ? commands.server : commands.worker;
    const distsim::cli::GivenFlags given{role->count("--rank") > 0,
                                         role->count("--coordinator") > 0,
                                         role->count("--bind") > 0, role->count("--port") > 0};
    if (int code = distsim::cli::PlaceRole(commands.server->parsed(), given, &options.role)) {
      return code;
    }
  }
  if (int code = CheckRemote(commands, options); code != 0) return code;
  WarnIfUnencrypted(commands, options);
  return Dispatch(commands, options);
}
