// A JSON object parsed into protobuf's Struct (google/protobuf/struct.proto): the reader of
// SageMaker's small JSON files (sagemaker.h).
#ifndef DISTSIM_SIM_CONFIG_JSON_OBJECT_H_
#define DISTSIM_SIM_CONFIG_JSON_OBJECT_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "google/protobuf/struct.pb.h"

namespace distsim::config {

// InvalidArgument "<path>: not a JSON object: <parser message>" when `json` is not one.
absl::StatusOr<google::protobuf::Struct> ParseJsonObject(std::string_view json,
                                                         const std::string& path);

}  // namespace distsim::config

#endif  // DISTSIM_SIM_CONFIG_JSON_OBJECT_H_
