#include "sim/node/role_launch.h"

#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sim/base/status.h"
#include "sim/node/role_common.h"
#include "sim/report/json_value.h"

namespace distsim::node {

namespace fs = std::filesystem;


namespace {

// A worker is given its host's channels and reads only those; a server the data folder (it reads
// no example, only the images' shape).
std::vector<std::string> RoleArgv(const RoleArgs& args, const char* role, uint32_t rank,
                                  const std::string& channel = "") {
  std::vector<std::string> argv = {
      args.executable, role, "--config", args.config_path, "--rank", std::to_string(rank),
      "--coordinator", args.coordinator, "--data-dir", args.data_dir,
      "--parent-pid", std::to_string(getpid()), "--run-start",
      absl::StrFormat("%.6f", args.run_start_unix)};
  if (!channel.empty()) {
    argv.push_back("--channel");
    argv.push_back(channel);
  }
  if (!args.nic_path.empty()) {
    argv.push_back("--nic");
    argv.push_back(args.nic_path);
  }
  if (!args.checkpoint_dir.empty()) {
    argv.insert(argv.end(), {"--checkpoint-dir", args.checkpoint_dir, "--resume-step",
                             std::to_string(args.resume_step)});
  }
  if (args.attempt > 0) argv.insert(argv.end(), {"--attempt", std::to_string(args.attempt)});
  return argv;
}

}  // namespace

absl::StatusOr<std::map<pid_t, ChildRole>> SpawnRoles(const RunPlan& plan, const RoleArgs& args,
                                                      ChildProcesses* children) {
  const std::vector<std::string> env = {absl::StrCat(kTokenEnv, "=", args.token)};
  std::map<pid_t, ChildRole> roles;
  for (int r = 0; r < plan.shape.servers; ++r) {
    DS_ASSIGN_OR_RETURN(pid_t pid, children->Spawn(RoleArgv(args, "server", r), env));
    roles[pid] = {ProcessInfo::SERVER, static_cast<uint32_t>(r)};
  }
  for (int r = 0; r < plan.shape.workers; ++r) {
    const std::string& channel = args.host_data_dirs[plan.shape.worker_host[r]];
    DS_ASSIGN_OR_RETURN(pid_t pid, children->Spawn(RoleArgv(args, "worker", r, channel), env));
    roles[pid] = {ProcessInfo::WORKER, static_cast<uint32_t>(r)};
  }
  return roles;
}

absl::StatusOr<pid_t> SpawnRejoiningWorker(const RunPlan& plan, const RoleArgs& args, uint32_t rank,
                                           uint32_t attempt, ChildProcesses* children) {
  RoleArgs again = args;
  again.attempt = attempt;
  std::vector<std::string> argv =
      RoleArgv(again, "worker", rank, args.host_data_dirs[plan.shape.worker_host[rank]]);
  argv.push_back("--rejoin");
  return children->Spawn(argv, {absl::StrCat(kTokenEnv, "=", args.token)});
}

namespace {

std::string TlsFlags(const RoleArgs& args) {
  if (!args.tls.enabled()) return "";
  return absl::StrCat(" --tls-cert ", fs::absolute(args.tls.cert_path).string(), " --tls-key ",
                      fs::absolute(args.tls.key_path).string(), " --tls-ca ",
                      fs::absolute(args.tls.ca_path).string());
}

// The announcement as one line of JSON: every role's command line (without the token, which is
// in the file the environment variable names) and each worker's channel folder.
void AnnounceJson(const RunPlan& plan, const RoleArgs& args, const std::string& token_file,
                  std::FILE* out) {
  namespace pb = google::protobuf;
  pb::Struct doc;
  auto& f = *doc.mutable_fields();
  f["coordinator"] = report::JsonText(args.coordinator);
  f["tls"] = report::JsonBool(args.tls.enabled());
  f["token_file"] = report::JsonText(token_file);
  f["token_env"] = report::JsonText(kTokenFileEnv);
  f["config"] = report::JsonText(args.config_path);
  f["nic"] = report::JsonText(args.nic_path);
  pb::ListValue* roles = f["roles"].mutable_list_value();
  auto add = [&](const char* role, int rank, const std::string& channel) {
    auto& r = *roles->add_values()->mutable_struct_value()->mutable_fields();
    r["role"] = report::JsonText(role);
    r["rank"] = report::JsonNumber(rank);
    std::string command =
        absl::StrCat("distsim ", role, " --config ", args.config_path, " --rank ", rank,
                     " --coordinator ", args.coordinator, TlsFlags(args));
    absl::StrAppend(&command, channel.empty() ? " --data-dir " : " --channel ",
                    channel.empty() ? args.data_dir : channel);
    if (!args.nic_path.empty()) absl::StrAppend(&command, " --nic ", args.nic_path);
    r["command"] = report::JsonText(command);
    r["channel"] = report::JsonText(channel);
  };
  for (int r = 0; r < plan.shape.servers; ++r) add("server", r, "");
  for (int r = 0; r < plan.shape.workers; ++r) {
    add("worker", r, fs::absolute(args.host_data_dirs[plan.shape.worker_host[r]]).string());
  }
  std::fputs(report::JsonLine(doc).c_str(), out);
  std::fflush(out);
}

}  // namespace

absl::Status AnnounceForHands(const RunPlan& plan, const RoleArgs& args,
                              const std::string& out_dir, std::FILE* out, std::FILE* json) {
  const std::string token_file = (fs::absolute(out_dir) / "token").string();
  DS_RETURN_IF_ERROR(WriteTokenFile(token_file, args.token));
  if (json != nullptr) AnnounceJson(plan, args, token_file, json);
  if (out == nullptr) return absl::OkStatus();
  const std::string tls_flags = TlsFlags(args);
  std::fprintf(out,
               "coordinator listening on %s%s; start %d server(s) and %d worker(s) with\n"
               "  export %s=%s\n"
               "  distsim server|worker --config %s --rank R --coordinator %s --data-dir DIR%s\n",
               args.coordinator.c_str(), args.tls.enabled() ? " over TLS" : "", plan.shape.servers,
               plan.shape.workers, kTokenFileEnv, token_file.c_str(), args.config_path.c_str(),
               args.coordinator.c_str(), tls_flags.c_str());
  if (args.tls.enabled()) {
    std::fprintf(out,
                 "TLS: those are this coordinator's files; a role on another host gives a "
                 "certificate naming that host, chaining to the same --tls-ca\n");
  }
  for (int r = 0; r < plan.shape.workers; ++r) {
    std::fprintf(out, "worker %d reads its host's channels: add --channel %s\n", r,
                 fs::absolute(args.host_data_dirs[plan.shape.worker_host[r]]).c_str());
  }
  if (!args.nic_path.empty()) {
    std::fprintf(out, "shaped network: add --nic %s to each role's command\n",
                 args.nic_path.c_str());
  }
  return absl::OkStatus();
}


}  // namespace distsim::node
