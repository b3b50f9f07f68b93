#include "sim/report/result_io.h"

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "sim/base/durable_file.h"
#include "sim/base/status.h"

namespace distsim::report {

absl::Status EnsureDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::UnknownError(absl::StrCat("cannot create folder ", dir, ": ", ec.message()));
  return absl::OkStatus();
}

absl::Status WriteFileAtomic(const std::string& path, const std::string& text) {
  return WriteFileDurably(path, text);
}

std::string ResultToJson(const RunResult& result) { return MessageToJson(result); }

std::string MessageToJson(const google::protobuf::Message& result) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string json;
  // Serialising a valid message cannot fail.
  (void)google::protobuf::util::MessageToJsonString(result, &json, options);
  return json;
}

absl::Status WriteResultJson(const RunResult& result, const std::string& path) {
  return WriteFileAtomic(path, ResultToJson(result));
}

absl::StatusOr<RunResult> ReadResultJson(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError("cannot read", path, errno);
  std::stringstream buffer;
  buffer << in.rdbuf();
  RunResult result;
  auto status = google::protobuf::util::JsonStringToMessage(buffer.str(), &result);
  if (!status.ok()) {
    return absl::DataLossError(absl::StrCat(path, ": not a RunResult: ", status.ToString()));
  }
  return result;
}

}  // namespace distsim::report
