// Small JSON documents built as protobuf's Struct (google/protobuf/struct.proto), for the
// `--json` output of subcommands whose figures are not a message of their own (plan,
// export-sagemaker, the coordinator's announcement).
#ifndef DISTSIM_SIM_REPORT_JSON_VALUE_H_
#define DISTSIM_SIM_REPORT_JSON_VALUE_H_

#include <string>
#include <vector>

#include "google/protobuf/struct.pb.h"

namespace distsim::report {

google::protobuf::Value JsonNumber(double value);
google::protobuf::Value JsonText(const std::string& value);
google::protobuf::Value JsonBool(bool value);
google::protobuf::Value JsonTexts(const std::vector<std::string>& values);

// `document` on one line, ending with '\n' (JSON Lines: a script reads it as soon as it is out).
std::string JsonLine(const google::protobuf::Struct& document);

}  // namespace distsim::report

#endif  // DISTSIM_SIM_REPORT_JSON_VALUE_H_
