// result.json: the RunResult proto as JSON (proto field names, every field printed), and the
// folder a run writes into.
#ifndef DISTSIM_SIM_REPORT_RESULT_IO_H_
#define DISTSIM_SIM_REPORT_RESULT_IO_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "distsim/result.pb.h"

namespace distsim::report {

// Creates `dir` and its parents if missing. Error (code Unknown) names the folder.
absl::Status EnsureDir(const std::string& dir);

// Writes `text` to `path` atomically and durably (sim/base/durable_file.h: a temporary file in
// the same folder, fsync, rename, fsync of the folder), so a reader never sees half a file.
absl::Status WriteFileAtomic(const std::string& path, const std::string& text);

// Any message as JSON the way result.json prints it (proto field names, every field, indented).
std::string MessageToJson(const google::protobuf::Message& message);
std::string ResultToJson(const RunResult& result);
absl::Status WriteResultJson(const RunResult& result, const std::string& path);
absl::StatusOr<RunResult> ReadResultJson(const std::string& path);

}  // namespace distsim::report

#endif  // DISTSIM_SIM_REPORT_RESULT_IO_H_
