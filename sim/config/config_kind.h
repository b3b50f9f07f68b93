// Which config a file holds. distsim reads four kinds of config file (proto/distsim/config.proto,
// staleness.proto): a RunConfig (run, plan, local, export-sagemaker), a CompareConfig (compare), a
// PredictConfig (predict) and a StalenessStudyConfig (staleness); `check` takes any. Every shipped
// text file names its message in its first lines ("# proto-message: distsim.CompareConfig"), so a
// command given another kind can say which command the file is for instead of failing on the first
// field it does not know.
#ifndef DISTSIM_SIM_CONFIG_CONFIG_KIND_H_
#define DISTSIM_SIM_CONFIG_CONFIG_KIND_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace distsim::config {

enum class ConfigKind { kRun, kCompare, kPredict, kStaleness };

// "distsim.RunConfig", "distsim.CompareConfig", "distsim.PredictConfig",
// "distsim.StalenessStudyConfig".
const char* ConfigKindName(ConfigKind kind);

// The kind of the file at `path`: the message its "# proto-message:" comment names (among the
// first 40 lines of a text file), else the first of RunConfig, CompareConfig and PredictConfig it
// parses as. NotFound for a missing file; for a file of no kind, the error of parsing it as
// `expected` (so the message is the one its user expects).
absl::StatusOr<ConfigKind> ConfigKindOf(const std::string& path, ConfigKind expected);

// OK when the file at `path` is of one of `accepted` kinds (or of no kind at all: the command's
// own loader then reports its error); else InvalidArgument (exit 78) "<path> is a
// distsim.CompareConfig: `distsim <command>` takes a distsim.RunConfig; run it with `distsim
// compare <path>`".
absl::Status ExpectConfigKind(const std::string& path, const std::string& command,
                              const std::vector<ConfigKind>& accepted);

}  // namespace distsim::config

#endif  // DISTSIM_SIM_CONFIG_CONFIG_KIND_H_
