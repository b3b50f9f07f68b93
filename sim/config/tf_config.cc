#include "sim/config/tf_config.h"

#include <cmath>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "sim/base/status.h"
#include "sim/config/json_object.h"

namespace distsim::config {
namespace {

namespace pb = google::protobuf;

constexpr char kName[] = "TF_CONFIG";

absl::Status Bad(const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(kName, ": ", what));
}

// cluster.<job>: its addresses (empty when the job is absent).
absl::StatusOr<std::vector<std::string>> Job(const pb::Struct& cluster, const std::string& job) {
  std::vector<std::string> addresses;
  auto it = cluster.fields().find(job);
  if (it == cluster.fields().end()) return addresses;
  if (!it->second.has_list_value()) return Bad(absl::StrCat("cluster.", job, ": not a list"));
  for (const pb::Value& v : it->second.list_value().values()) {
    if (v.string_value().empty()) {
      return Bad(absl::StrCat("cluster.", job, ": every entry must be \"host:port\""));
    }
    addresses.push_back(v.string_value());
  }
  return addresses;
}

struct HostPort {
  std::string host;
  int port = 0;
};

absl::StatusOr<HostPort> SplitAddress(const std::string& address, const std::string& where) {
  const size_t colon = address.rfind(':');
  HostPort out;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(address.substr(colon + 1), &out.port) || out.port < 1 ||
      out.port > 65535) {
    return Bad(absl::StrCat(where, ": \"", address, "\" is not host:port"));
  }
  out.host = address.substr(0, colon);
  return out;
}

// The task's type and index.
absl::Status ReadTask(const pb::Struct& root, std::string* type, int* index) {
  auto task = root.fields().find("task");
  if (task == root.fields().end() || !task->second.has_struct_value()) {
    return Bad("task: missing; it names this process's type and index");
  }
  const auto& f = task->second.struct_value().fields();
  auto t = f.find("type");
  if (t == f.end() || t->second.string_value().empty()) return Bad("task.type: missing");
  *type = t->second.string_value();
  auto i = f.find("index");
  *index = 0;
  if (i != f.end()) {
    const double value = i->second.has_string_value() ? -1 : i->second.number_value();
    if (value < 0 || value != std::floor(value) || value > 1e6) {
      return Bad("task.index: not a whole number >= 0");
    }
    *index = static_cast<int>(value);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TfRole> RoleFromTfConfig(std::string_view json) {
  DS_ASSIGN_OR_RETURN(pb::Struct root, ParseJsonObject(json, kName));
  auto cluster_it = root.fields().find("cluster");
  if (cluster_it == root.fields().end() || !cluster_it->second.has_struct_value()) {
    return Bad("cluster: missing; it lists the chief, worker and ps addresses");
  }
  const pb::Struct& cluster = cluster_it->second.struct_value();
  DS_ASSIGN_OR_RETURN(std::vector<std::string> chief, Job(cluster, "chief"));
  DS_ASSIGN_OR_RETURN(std::vector<std::string> master, Job(cluster, "master"));
  DS_ASSIGN_OR_RETURN(std::vector<std::string> workers, Job(cluster, "worker"));
  DS_ASSIGN_OR_RETURN(std::vector<std::string> ps, Job(cluster, "ps"));
  chief.insert(chief.end(), master.begin(), master.end());
  if (chief.size() > 1) return Bad("cluster: more than one chief (chief and master together)");
  // distsim's workers: the chief first, then TensorFlow's workers.
  std::vector<std::string> ranks = chief;
  ranks.insert(ranks.end(), workers.begin(), workers.end());
  if (ranks.empty()) return Bad("cluster: no chief, master or worker");
  std::string type;
  int index = 0;
  DS_RETURN_IF_ERROR(ReadTask(root, &type, &index));
  const bool is_chief = type == "chief" || type == "master";
  const std::vector<std::string>* list = is_chief           ? &chief
                                         : type == "worker" ? &workers
                                         : type == "ps"     ? &ps
                                                            : nullptr;
  if (list == nullptr) {
    return Bad(absl::StrCat("task.type: \"", type,
                            "\" has no distsim role; must be chief, master, worker or ps"));
  }
  if (index >= static_cast<int>(list->size())) {
    return Bad(absl::StrCat("task.index: ", index, " but cluster.", type, " lists ",
                            list->size()));
  }
  TfRole role;
  role.server = type == "ps";
  role.rank = static_cast<uint32_t>(type == "worker" ? index + chief.size() : index);
  role.workers = static_cast<uint32_t>(ranks.size());
  role.servers = static_cast<uint32_t>(ps.size());
  DS_ASSIGN_OR_RETURN(HostPort self, SplitAddress((*list)[index],
                                                  absl::StrCat("cluster.", type, "[", index, "]")));
  DS_ASSIGN_OR_RETURN(HostPort head, SplitAddress(ranks[0], "the chief's address"));
  role.bind_host = self.host;
  role.bind_port = role.server ? self.port : 0;
  role.coordinator = absl::StrCat(head.host, ":", kCoordinatorPort);
  return role;
}

}  // namespace distsim::config
