#include "sim/config/json_object.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"

namespace distsim::config {

namespace pb = google::protobuf;

absl::StatusOr<pb::Struct> ParseJsonObject(std::string_view json, const std::string& path) {
  pb::Struct object;
  const auto status = pb::util::JsonStringToMessage(std::string(json), &object);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a JSON object: ", status.message().as_string()));
  }
  return object;
}

}  // namespace distsim::config
