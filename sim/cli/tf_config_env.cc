#include "sim/cli/tf_config_env.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "sim/base/status.h"
#include "sim/config/tf_config.h"

namespace distsim::cli {

int PlaceRole(bool server, const GivenFlags& given, node::RoleFlags* role) {
  const char* who = server ? "distsim server" : "distsim worker";
  if (given.rank && given.coordinator) return 0;
  const char* tf_config = std::getenv("TF_CONFIG");
  if (given.rank || given.coordinator || tf_config == nullptr || *tf_config == '\0') {
    std::fprintf(stderr,
                 "%s: --rank and --coordinator are required together, unless $TF_CONFIG (a "
                 "TensorFlow cluster spec) places this process\n",
                 who);
    return kExitUsage;
  }
  absl::StatusOr<config::TfRole> placed = config::RoleFromTfConfig(tf_config);
  if (placed.ok() && placed->server != server) {
    placed = absl::InvalidArgumentError(
        std::string("TF_CONFIG: task.type names a ") + (placed->server ? "ps" : "chief or worker") +
        " task, which `" + (placed->server ? "distsim server" : "distsim worker") + "` runs");
  }
  if (!placed.ok()) {
    std::fprintf(stderr, "%s: %s\n", who, std::string(placed.status().message()).c_str());
    return ExitCodeFor(placed.status());
  }
  role->rank = placed->rank;
  role->coordinator = placed->coordinator;
  if (!given.bind) role->bind_host = placed->bind_host;
  if (!given.port) role->bind_port = placed->bind_port;
  role->cluster_workers = placed->workers;
  role->cluster_servers = placed->servers;
  return 0;
}

}  // namespace distsim::cli
