#include "sim/node/role_common.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sim/base/status.h"
#include "sim/comm/coordinator_rpc.h"
#include "sim/config/config.h"
#include "sim/node/exchange_factory.h"
#include "sim/report/result_io.h"

namespace distsim::node {

std::string RandomHex(int bits) {
  std::random_device device;
  std::string out;
  for (int i = 0; i < bits / 32; ++i) absl::StrAppendFormat(&out, "%08x", device());
  return out;
}
namespace {

absl::StatusOr<RunConfig> LoadRoleConfig(const std::string& path, ProcessInfo::Role role) {
  DS_ASSIGN_OR_RETURN(RunConfig config, config::LoadRunConfig(path));
  config = config::WithDefaults(std::move(config));
  absl::Status valid = config::ValidateRunConfig(config);
  if (!valid.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", valid.message()));
  if (!IsDistributed(config)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": strategy: a worker or server process needs parameter_server or "
                           "allreduce; `distsim run` trains local configs in one process"));
  }
  if (role == ProcessInfo::SERVER && !config.has_parameter_server()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": strategy: servers exist only under parameter_server"));
  }
  return config;
}

// A role placed by a TensorFlow cluster spec: the spec and the config must agree on the counts.
absl::Status CheckClusterSpec(const RoleFlags& flags, const ClusterShape& shape) {
  if (flags.cluster_workers == 0 && flags.cluster_servers == 0) return absl::OkStatus();
  if (flags.cluster_workers != static_cast<uint32_t>(shape.workers) ||
      flags.cluster_servers != static_cast<uint32_t>(shape.servers)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "TF_CONFIG: the cluster has ", flags.cluster_workers, " workers (chief included) and ",
        flags.cluster_servers, " ps, but ", flags.config_path, " runs ", shape.workers,
        " workers and ", shape.servers, " servers"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status WriteTokenFile(const std::string& path, const std::string& token) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return IoError("cannot write the run token file", path, errno);
  const std::string line = token + "\n";
  const bool written = fchmod(fd, 0600) == 0 &&
                       write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  const int err = errno;
  close(fd);
  if (!written) return IoError("cannot write the run token file", path, err);
  return absl::OkStatus();
}

double UnixSeconds() { return absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()); }

absl::StatusOr<RunInputs> OpenRoleRun(const RoleFlags& flags, ProcessInfo::Role role) {
  DS_ASSIGN_OR_RETURN(RunConfig config, LoadRoleConfig(flags.config_path, role));
  const ClusterShape shape = ShapeOf(config);
  const bool server = role == ProcessInfo::SERVER;
  const int count = server ? shape.servers : shape.workers;
  DS_RETURN_IF_ERROR(CheckClusterSpec(flags, shape));  // says more than a rank out of range
  if (flags.rank >= static_cast<uint32_t>(count)) {
    return absl::InvalidArgumentError(absl::StrCat("--rank ", flags.rank, ": the run has ", count,
                                                   server ? " servers" : " workers"));
  }
  if (absl::Status fits = CheckTlsTransport(config, flags.tls.enabled()); !fits.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(flags.config_path, ": ", fits.message()));
  }
  if (!flags.channel_dir.empty()) {  // a server reads only the images' shape from it
    return OpenChannelRun(config, flags.channel_dir, /*needs_test=*/!server && flags.rank == 0);
  }
  return OpenRun(config, flags.data_dir);
}

absl::Status WriteRoleReport(const RoleFlags& flags, ProcessInfo::Role role,
                             ProcessSummary summary, absl::Status status) {
  if (flags.report_path.empty()) return status;
  if (!status.ok()) {
    summary.mutable_process()->set_role(role);
    summary.mutable_process()->set_rank(flags.rank);
    summary.mutable_process()->set_pid(getpid());
    summary.set_error(std::string(status.message()));
    summary.set_exit_code(ExitCodeFor(status));
  }
  absl::Status written =
      report::WriteFileAtomic(flags.report_path, report::MessageToJson(summary));
  return status.ok() ? written : status;
}

absl::Status ReportFailure(const RoleFlags& flags, ProcessInfo::Role role, absl::Status status) {
  if (status.ok() || absl::IsAborted(status) || flags.coordinator.empty()) return status;
  comm::CoordinatorClient client(flags.coordinator, flags.token, 2.0, flags.tls);
  ProcessSummary summary;
  summary.mutable_process()->set_role(role);
  summary.mutable_process()->set_rank(flags.rank);
  summary.mutable_process()->set_pid(getpid());
  summary.set_error(std::string(status.message()));
  summary.set_exit_code(ExitCodeFor(status));
  (void)client.Finish(summary);
  return status;
}

ProcessInfo SelfInfo(ProcessInfo::Role role, uint32_t rank, uint32_t host,
                     const std::string& address) {
  ProcessInfo self;
  self.set_role(role);
  self.set_rank(rank);
  self.set_pid(getpid());
  self.set_host(host);
  if (!address.empty()) self.set_address(address);
  return self;
}

double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         1e-6 * (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

ProcessMemory ReadProcessMemory() {
  ProcessMemory memory;
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  memory.max_rss_bytes = static_cast<uint64_t>(usage.ru_maxrss) * 1024;  // Linux: kB
  std::ifstream rollup("/proc/self/smaps_rollup");
  std::string line;
  while (std::getline(rollup, line)) {
    if (line.rfind("Pss:", 0) != 0) continue;  // "Pss:   12345 kB"
    uint64_t kb = 0;
    if (std::sscanf(line.c_str(), "Pss: %" SCNu64, &kb) == 1) memory.pss_bytes = kb * 1024;
    break;
  }
  return memory;
}

}  // namespace distsim::node
