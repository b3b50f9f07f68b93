#include "sim/app/training_job_request.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "sim/app/local_trees.h"
#include "sim/base/status.h"
#include "sim/config/json_object.h"
#include "sim/config/sagemaker.h"
#include "sim/config/sagemaker_job.h"

namespace distsim::app {
namespace {

namespace pb = google::protobuf;

absl::Status Bad(const std::string& path, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", what));
}

// The train channel's S3DataDistributionType: whether it is ShardedByS3Key.
absl::StatusOr<bool> TrainSharded(const pb::Struct& request, const std::string& path) {
  const auto it = request.fields().find("InputDataConfig");
  if (it == request.fields().end() || !it->second.has_list_value()) {
    return Bad(path, "InputDataConfig: missing (a list of channels)");
  }
  for (const pb::Value& channel : it->second.list_value().values()) {
    const auto& f = channel.struct_value().fields();
    if (!f.contains("ChannelName") || f.at("ChannelName").string_value() != "train") continue;
    const pb::Value& s3 = f.contains("DataSource")
                              ? channel.struct_value().fields().at("DataSource")
                              : pb::Value::default_instance();
    const auto& source = s3.struct_value().fields();
    if (!source.contains("S3DataSource"))
      return Bad(path, "InputDataConfig train: no S3DataSource");
    const auto& s3f = source.at("S3DataSource").struct_value().fields();
    const std::string type = s3f.contains("S3DataDistributionType")
                                 ? s3f.at("S3DataDistributionType").string_value()
                                 : "FullyReplicated";
    if (type != "FullyReplicated" && type != "ShardedByS3Key") {
      return Bad(path, absl::StrCat("InputDataConfig train: S3DataDistributionType \"", type,
                                    "\" (FullyReplicated or ShardedByS3Key)"));
    }
    return type == "ShardedByS3Key";
  }
  return Bad(path, "InputDataConfig: no channel named \"train\"");
}

}  // namespace

bool IsTrainingJobRequest(const std::string& json) {
  absl::StatusOr<pb::Struct> object = config::ParseJsonObject(json, "");
  return object.ok() && object->fields().contains("HyperParameters") &&
         object->fields().contains("ResourceConfig");
}

absl::StatusOr<TrainingJobRequest> ParseTrainingJobRequest(const std::string& json,
                                                           const std::string& path) {
  DS_ASSIGN_OR_RETURN(const pb::Struct request, config::ParseJsonObject(json, path));
  const auto& fields = request.fields();
  if (!fields.contains("HyperParameters") || !fields.at("HyperParameters").has_struct_value()) {
    return Bad(path, "HyperParameters: missing (an object of strings)");
  }
  TrainingJobRequest out;
  for (const auto& [key, value] : fields.at("HyperParameters").struct_value().fields()) {
    if (!value.has_string_value()) {
      return Bad(path, absl::StrCat("HyperParameters.", key,
                                    ": not a string (the API takes "
                                    "strings only)"));
    }
    out.hyperparameters[key] = value.string_value();
  }
  const pb::Value resource =
      fields.contains("ResourceConfig") ? fields.at("ResourceConfig") : pb::Value();
  const auto& r = resource.struct_value().fields();
  if (!r.contains("InstanceCount") || r.at("InstanceCount").number_value() < 1 ||
      r.at("InstanceCount").number_value() > 250) {
    return Bad(path, "ResourceConfig.InstanceCount: missing or not in [1, 250]");
  }
  config::SageMakerInput input;
  input.root = path;
  input.resource.hosts = SortedHostNames(static_cast<int>(r.at("InstanceCount").number_value()));
  input.resource.current_host = input.resource.hosts[0];
  DS_ASSIGN_OR_RETURN(const bool sharded, TrainSharded(request, path));
  input.channels = {{"test", false, "File"}, {"train", sharded, "File"}};
  input.test_channel = "test";
  // The hosts decode the strings as the training toolkit does (ParseHyperparameters).
  pb::Struct strings = fields.at("HyperParameters").struct_value();
  std::string text;
  if (!pb::util::MessageToJsonString(strings, &text).ok()) return Bad(path, "HyperParameters");
  DS_ASSIGN_OR_RETURN(input.hyperparameters, config::ParseHyperparameters(text, path));
  DS_ASSIGN_OR_RETURN(out.config, config::TrainConfigOf(input));
  if (r.contains("InstanceType") && !r.at("InstanceType").string_value().empty()) {
    out.config.mutable_cluster()->set_instance_type(r.at("InstanceType").string_value());
  }
  return out;
}

}  // namespace distsim::app
