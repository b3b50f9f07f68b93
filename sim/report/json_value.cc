#include "sim/report/json_value.h"

#include "google/protobuf/util/json_util.h"

namespace distsim::report {

google::protobuf::Value JsonNumber(double value) {
  google::protobuf::Value v;
  v.set_number_value(value);
  return v;
}

google::protobuf::Value JsonText(const std::string& value) {
  google::protobuf::Value v;
  v.set_string_value(value);
  return v;
}

google::protobuf::Value JsonBool(bool value) {
  google::protobuf::Value v;
  v.set_bool_value(value);
  return v;
}

google::protobuf::Value JsonTexts(const std::vector<std::string>& values) {
  google::protobuf::Value v;
  for (const std::string& s : values) *v.mutable_list_value()->add_values() = JsonText(s);
  if (values.empty()) v.mutable_list_value();  // [] rather than null
  return v;
}

std::string JsonLine(const google::protobuf::Struct& document) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(document, &out, options);
  return out + "\n";
}

}  // namespace distsim::report
