#include "sim/node/provenance.h"

#include <unistd.h>

#include <Eigen/Core>
#include <ctime>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "sim/node/build_info.h"

namespace distsim::node {

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) {
        return std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
      }
    }
  }
  return "unknown";
}

Provenance CollectProvenance(int processes, const std::string& command_line) {
  Provenance p;
  p.set_distsim_version(DISTSIM_VERSION);
  p.set_git_revision(DISTSIM_GIT_REVISION);
  p.set_compiler(DISTSIM_COMPILER);
  p.set_compiler_flags(absl::StrCat(DISTSIM_COMPILER_FLAGS, " (", DISTSIM_BUILD_TYPE, ")"));
  p.set_eigen_version(absl::StrCat(EIGEN_WORLD_VERSION, ".", EIGEN_MAJOR_VERSION, ".",
                                   EIGEN_MINOR_VERSION));
  p.set_eigen_simd(Eigen::SimdInstructionSetsInUse());
  p.set_cpu_model(CpuModel());
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  p.set_cpu_cores(cores > 0 ? static_cast<uint32_t>(cores) : 0);
  if (cores > 0) p.set_processes_per_core(static_cast<double>(processes) / cores);
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) == 0) p.set_hostname(host);
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &utc);
  p.set_started_at(stamp);
  p.set_command_line(command_line);
  return p;
}

}  // namespace distsim::node
