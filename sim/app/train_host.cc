#include "sim/app/train_host.h"

#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "sim/base/status.h"
#include "sim/config/tf_config.h"
#include "sim/node/distributed_run.h"
#include "sim/node/launcher.h"
#include "sim/node/role_common.h"
#include "sim/node/supervisor.h"
#include "sim/report/result_io.h"

namespace distsim::app {
namespace {

// How long this host's roles get to stop after SIGTERM (SageMaker's SIGKILL follows in 120 s).
constexpr absl::Duration kStopGrace = absl::Seconds(10);

// Where this host serves and whom it dials.
struct HostPlan {
  std::string self;         // this host's address on network_interface_name
  std::string chief;        // hosts[0]'s address
  std::string coordinator;  // chief:2222
  std::string config_path;  // the job's config, for the roles
};

std::string RoleReportPath(const HostJob& job, ProcessInfo::Role role, int rank) {
  return absl::StrCat(job.out_dir, "/", role == ProcessInfo::SERVER ? "server-" : "worker-", rank,
                      ".json");
}

// The config every role of this host reads: the one the job's files make.
absl::StatusOr<std::string> WriteJobConfig(const HostJob& job) {
  DS_RETURN_IF_ERROR(report::EnsureDir(job.out_dir));
  std::string text;
  google::protobuf::TextFormat::PrintToString(job.config, &text);
  const std::string path = absl::StrCat(job.out_dir, "/run_config.textproto");
  DS_RETURN_IF_ERROR(report::WriteFileAtomic(
      path, absl::StrCat("# The job's config, made by distsim train from input/config.\n", text)));
  return path;
}

// This host's address, and the chief's once its name resolves and its coordinator answers.
absl::StatusOr<HostPlan> PlanHost(const HostJob& job) {
  const config::ResourceConfig& rc = job.input.resource;
  if (rc.network_interface_name.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        config::InputConfigPath(job.input.root, "resourceconfig.json"),
        ": network_interface_name: missing; the ", rc.hosts.size(),
        " hosts of the job serve on that interface"));
  }
  const absl::Time deadline =
      absl::Now() + absl::Seconds(job.config.supervision().join_timeout_s());
  HostPlan plan;
  DS_ASSIGN_OR_RETURN(const std::string me,
                      node::ResolveHost(rc.current_host, job.hosts, deadline, job.stop));
  DS_ASSIGN_OR_RETURN(plan.self, node::InterfaceAddress(rc.network_interface_name, me));
  DS_ASSIGN_OR_RETURN(plan.config_path, WriteJobConfig(job));
  if (rc.rank == 0) {
    plan.chief = plan.self;
  } else {
    DS_ASSIGN_OR_RETURN(plan.chief, node::ResolveHost(rc.hosts[0], job.hosts, deadline, job.stop));
    DS_RETURN_IF_ERROR(node::WaitForListener(plan.chief, config::kCoordinatorPort,
                                             absl::StrCat("the chief ", rc.hosts[0]), deadline,
                                             job.stop));
  }
  plan.coordinator = absl::StrCat(plan.chief, ":", config::kCoordinatorPort);
  return plan;
}

std::vector<std::string> RoleArgv(const HostJob& job, const HostPlan& plan, const char* role,
                                  int rank) {
  const std::string exe = job.executable.empty() ? node::SelfExecutable() : job.executable;
  return {exe, role, "--config", plan.config_path, "--rank", std::to_string(rank),
          "--coordinator", plan.coordinator, "--channel", config::InputDataDir(job.input.root),
          "--bind", plan.self, "--allow-remote", "--parent-pid", std::to_string(getpid())};
}

// This host's server and worker, the token in their environment.
absl::StatusOr<std::map<pid_t, node::ChildRole>> SpawnHostRoles(const HostJob& job,
                                                                const HostPlan& plan,
                                                                node::ChildProcesses* children) {
  const int rank = job.input.resource.rank;
  const std::vector<std::string> env = {absl::StrCat(node::kTokenEnv, "=", job.token)};
  std::vector<std::string> server = RoleArgv(job, plan, "server", rank);
  server.insert(server.end(), {"--port", std::to_string(config::kParameterServerPort), "--report",
                               RoleReportPath(job, ProcessInfo::SERVER, rank)});
  std::vector<std::string> worker = RoleArgv(job, plan, "worker", rank);
  worker.insert(worker.end(), {"--report", RoleReportPath(job, ProcessInfo::WORKER, rank)});
  if (rank == 0) worker.insert(worker.end(), {"--model-dir", job.model_dir});
  std::map<pid_t, node::ChildRole> roles;
  DS_ASSIGN_OR_RETURN(pid_t s, children->Spawn(server, env));
  roles[s] = {ProcessInfo::SERVER, static_cast<uint32_t>(rank)};
  DS_ASSIGN_OR_RETURN(pid_t w, children->Spawn(worker, env));
  roles[w] = {ProcessInfo::WORKER, static_cast<uint32_t>(rank)};
  return roles;
}

// The chief: the coordinator here, beside this host's roles, until every process finished.
absl::Status RunChief(const HostJob& job, const HostPlan& plan, node::ChildProcesses* children,
                      std::map<pid_t, node::ChildRole> roles) {
  node::DistributedRunOptions options;
  options.out_dir = job.out_dir;
  options.progress = job.progress;
  options.stop = job.stop;
  options.command_line = job.command_line;
  options.listen = plan.coordinator;
  options.token = job.token;
  options.channel_dir = config::InputDataDir(job.input.root);
  options.host_names = job.input.resource.hosts;
  options.local_children = children;
  options.local_roles = std::move(roles);
  options.registration_timeout_s = job.config.supervision().join_timeout_s();
  options.executable = job.executable;
  DS_ASSIGN_OR_RETURN(RunResult result, node::RunDistributed(job.config, options));
  if (job.progress != nullptr) {
    std::fprintf(job.progress,
                 "distsim train: the job finished: %llu steps, final test accuracy %.2f%%, "
                 "model in %s\n",
                 static_cast<unsigned long long>(result.steps()),
                 100 * result.final_test_accuracy(), job.model_dir.c_str());
  }
  return absl::OkStatus();
}

// What a role wrote when it ended (its --report), if it did.
std::optional<ProcessSummary> ReadRoleReport(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  ProcessSummary summary;
  if (!google::protobuf::util::JsonStringToMessage(text.str(), &summary).ok()) return std::nullopt;
  return summary;
}

// Why this host's roles failed, in one line: the coordinator's verdict when a role got one (it
// names the process that failed first, on whichever host), else the chief's absence when it no
// longer answers, else the first failure seen here.
absl::Status HostFailure(const HostJob& job, const HostPlan& plan,
                         const std::map<pid_t, node::ChildRole>& roles,
                         const std::vector<node::ChildExit>& failed) {
  std::optional<absl::Status> first;
  for (const node::ChildExit& exit : failed) {
    const node::ChildRole& who = roles.at(exit.pid);
    const std::string name = absl::StrCat(node::ProcessName(who.role, who.rank), " on ",
                                          job.input.resource.current_host);
    std::optional<ProcessSummary> report =
        ReadRoleReport(RoleReportPath(job, who.role, static_cast<int>(who.rank)));
    if (report && !report->error().empty()) {
      const std::string& error = report->error();
      if (absl::StartsWith(error, "run aborted: ") &&
          !absl::StartsWith(error, "run aborted: lost the coordinator")) {
        return absl::AbortedError(error);
      }
      if (!first) first = absl::Status(StatusCodeForExit(report->exit_code()),
                                       absl::StrCat(name, " failed: ", error));
    } else if (!first) {
      first = absl::UnavailableError(absl::StrCat(name, " ", node::DescribeExit(exit)));
    }
  }
  if (!node::Answers(plan.chief, config::kCoordinatorPort, absl::Seconds(1))) {
    return absl::UnavailableError(absl::StrCat(
        job.input.resource.hosts[0], ", the chief (", plan.coordinator, "), went away: ",
        first ? first->message() : "its coordinator no longer answers"));
  }
  return first.value_or(absl::UnknownError("a role failed without a report"));
}

// Another host's part: watch this host's roles until they end. After a failure the others get
// the coordinator's verdict (or lose it) within a few heartbeats; they are killed past that.
absl::Status WatchRoles(const HostJob& job, const HostPlan& plan, node::ChildProcesses* children,
                        const std::map<pid_t, node::ChildRole>& roles) {
  const absl::Duration settle = 4 * absl::Seconds(job.config.supervision().heartbeat_timeout_s()) +
                                absl::Seconds(5);
  std::vector<node::ChildExit> failed;
  absl::Time give_up = absl::InfiniteFuture();
  while (children->running() > 0 && absl::Now() < give_up) {
    if (job.stop != nullptr && job.stop->load()) {
      children->SignalAll(SIGTERM);
      children->WaitAll(kStopGrace);
      return absl::CancelledError("stopped by SIGTERM: this host's roles were stopped");
    }
    for (const node::ChildExit& exit : children->Reap()) {
      if (exit.exit_code == 0) continue;
      failed.push_back(exit);
      give_up = std::min(give_up, absl::Now() + settle);
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  for (const node::ChildExit& exit : children->WaitAll(absl::ZeroDuration())) {
    if (exit.exit_code != 0) failed.push_back(exit);
  }
  if (failed.empty()) return absl::OkStatus();
  return HostFailure(job, plan, roles, failed);
}

}  // namespace

absl::Status RunHostJob(const HostJob& job) {
  DS_ASSIGN_OR_RETURN(const HostPlan plan, PlanHost(job));
  node::ChildProcesses children;  // whatever still runs when this returns is killed
  DS_ASSIGN_OR_RETURN(auto roles, SpawnHostRoles(job, plan, &children));
  if (job.input.resource.rank == 0) return RunChief(job, plan, &children, std::move(roles));
  return WatchRoles(job, plan, &children, roles);
}

}  // namespace distsim::app
