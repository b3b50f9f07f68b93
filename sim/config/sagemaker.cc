#include "sim/config/sagemaker.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/struct.pb.h"
#include "sim/base/status.h"
#include "sim/config/json_object.h"

namespace distsim::config {
namespace {

namespace pb = google::protobuf;

absl::Status Bad(const std::string& path, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", what));
}

}  // namespace

absl::StatusOr<ResourceConfig> ParseResourceConfig(std::string_view json, const std::string& path) {
  DS_ASSIGN_OR_RETURN(pb::Struct object, ParseJsonObject(json, path));
  const auto& fields = object.fields();
  ResourceConfig resource;
  auto it = fields.find("current_host");
  if (it == fields.end() || it->second.string_value().empty()) {
    return Bad(path, "current_host: missing; SageMaker names this host there");
  }
  resource.current_host = it->second.string_value();
  it = fields.find("hosts");
  if (it == fields.end() || !it->second.has_list_value() ||
      it->second.list_value().values_size() == 0) {
    return Bad(path, "hosts: missing or empty; SageMaker lists every host of the job there");
  }
  for (const pb::Value& host : it->second.list_value().values()) {
    if (host.string_value().empty()) return Bad(path, "hosts: every host must be a name");
    resource.hosts.push_back(host.string_value());
  }
  std::sort(resource.hosts.begin(), resource.hosts.end());  // as strings: algo-10 < algo-2
  if (std::adjacent_find(resource.hosts.begin(), resource.hosts.end()) != resource.hosts.end()) {
    return Bad(path, "hosts: a host is listed twice");
  }
  const auto self = std::find(resource.hosts.begin(), resource.hosts.end(), resource.current_host);
  if (self == resource.hosts.end()) {
    return Bad(path, absl::StrCat("current_host: \"", resource.current_host,
                                  "\" is not one of hosts (", absl::StrJoin(resource.hosts, ", "),
                                  ")"));
  }
  resource.rank = static_cast<int>(self - resource.hosts.begin());
  it = fields.find("network_interface_name");
  if (it != fields.end()) resource.network_interface_name = it->second.string_value();
  return resource;
}

absl::StatusOr<std::vector<ChannelConfig>> ParseInputDataConfig(std::string_view json,
                                                                const std::string& path) {
  DS_ASSIGN_OR_RETURN(pb::Struct object, ParseJsonObject(json, path));
  std::vector<ChannelConfig> channels;
  std::set<std::string> names;
  for (const auto& [name, value] : object.fields()) names.insert(name);
  for (const std::string& name : names) {
    const pb::Value& value = object.fields().at(name);
    if (!value.has_struct_value()) return Bad(path, absl::StrCat(name, ": not an object"));
    const auto& f = value.struct_value().fields();
    ChannelConfig channel;
    channel.name = name;
    const auto dist = f.find("S3DistributionType");
    const std::string kind = dist == f.end() ? "FullyReplicated" : dist->second.string_value();
    if (kind != "FullyReplicated" && kind != "ShardedByS3Key") {
      return Bad(path, absl::StrCat(name, ".S3DistributionType: \"", kind,
                                    "\" is not FullyReplicated or ShardedByS3Key"));
    }
    channel.sharded = kind == "ShardedByS3Key";
    const auto mode = f.find("TrainingInputMode");
    if (mode != f.end()) channel.input_mode = mode->second.string_value();
    if (channel.input_mode != "File") {
      return Bad(path, absl::StrCat(name, ".TrainingInputMode: \"", channel.input_mode,
                                    "\" is not supported; distsim reads File mode channels"));
    }
    channels.push_back(std::move(channel));
  }
  return channels;
}

}  // namespace distsim::config
