#include "sim/app/local_trees.h"

#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "sim/base/status.h"
#include "sim/data/channel.h"
#include "sim/report/result_io.h"

namespace distsim::app {
namespace {

namespace pb = google::protobuf;

constexpr char kGroup[] = "homogeneousCluster";  // SageMaker's name for a one-group cluster

pb::Value Text(const std::string& s) {
  pb::Value v;
  v.set_string_value(s);
  return v;
}

pb::Value TextList(const std::vector<std::string>& items) {
  pb::Value v;
  for (const std::string& item : items) *v.mutable_list_value()->add_values() = Text(item);
  return v;
}

pb::Value Object(const pb::Struct& s) {
  pb::Value v;
  *v.mutable_struct_value() = s;
  return v;
}

absl::Status WriteJson(const std::string& path, const pb::Struct& object) {
  std::string json;
  pb::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  const auto printed = pb::util::MessageToJsonString(object, &json, options);
  if (!printed.ok()) return absl::InternalError(absl::StrCat(path, ": ", printed.ToString()));
  return report::WriteFileAtomic(path, json + "\n");
}

// resourceconfig.json, with the fields newer SageMaker versions add (instance type and group).
pb::Struct ResourceConfig(const HostTreeSpec& spec) {
  pb::Struct r;
  auto& f = *r.mutable_fields();
  f["current_host"] = Text(spec.current_host);
  f["hosts"] = TextList(spec.hosts);
  f["network_interface_name"] = Text(spec.interface);
  if (!spec.instance_type.empty()) {
    f["current_instance_type"] = Text(spec.instance_type);
    f["current_group_name"] = Text(kGroup);
    pb::Struct group;
    (*group.mutable_fields())["instance_group_name"] = Text(kGroup);
    (*group.mutable_fields())["instance_type"] = Text(spec.instance_type);
    (*group.mutable_fields())["hosts"] = TextList(spec.hosts);
    *f["instance_groups"].mutable_list_value()->add_values() = Object(group);
  }
  return r;
}

pb::Struct Channel(const std::string& distribution) {
  pb::Struct c;
  (*c.mutable_fields())["TrainingInputMode"] = Text("File");
  (*c.mutable_fields())["S3DistributionType"] = Text(distribution);
  (*c.mutable_fields())["RecordWrapperType"] = Text("None");
  return c;
}

}  // namespace

std::vector<std::string> SortedHostNames(int n) {
  std::vector<std::string> names;
  for (int h = 0; h < n; ++h) names.push_back(data::HostName(h));
  std::sort(names.begin(), names.end());
  return names;
}

absl::Status WriteHostTree(const HostTreeSpec& spec, const data::ObjectStore& store) {
  std::error_code ec;
  std::filesystem::remove_all(spec.root, ec);
  const std::string config_dir = absl::StrCat(spec.root, "/input/config");
  DS_RETURN_IF_ERROR(report::EnsureDir(config_dir));
  DS_RETURN_IF_ERROR(WriteJson(config_dir + "/resourceconfig.json", ResourceConfig(spec)));
  pb::Struct channels;
  (*channels.mutable_fields())["train"] =
      Object(Channel(spec.sharded ? "ShardedByS3Key" : "FullyReplicated"));
  (*channels.mutable_fields())["test"] = Object(Channel("FullyReplicated"));
  DS_RETURN_IF_ERROR(WriteJson(config_dir + "/inputdataconfig.json", channels));
  pb::Struct hyperparameters;
  for (const auto& [key, value] : spec.hyperparameters) {
    (*hyperparameters.mutable_fields())[key] = Text(value);
  }
  DS_RETURN_IF_ERROR(WriteJson(config_dir + "/hyperparameters.json", hyperparameters));
  return data::LayChannels(store, spec.keys, spec.test_images, spec.test_labels,
                           absl::StrCat(spec.root, "/input/data"))
      .status();
}

}  // namespace distsim::app
