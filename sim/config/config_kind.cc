#include "sim/config/config_kind.h"

#include <algorithm>
#include <fstream>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "distsim/config.pb.h"
#include "distsim/staleness.pb.h"
#include "sim/config/config.h"

namespace distsim::config {
namespace {

constexpr ConfigKind kAll[] = {ConfigKind::kRun, ConfigKind::kCompare, ConfigKind::kPredict,
                               ConfigKind::kStaleness};
constexpr int kHeaderLines = 40;

std::unique_ptr<google::protobuf::Message> Empty(ConfigKind kind) {
  switch (kind) {
    case ConfigKind::kCompare:
      return std::make_unique<CompareConfig>();
    case ConfigKind::kPredict:
      return std::make_unique<PredictConfig>();
    case ConfigKind::kStaleness:
      return std::make_unique<StalenessStudyConfig>();
    case ConfigKind::kRun:
      break;
  }
  return std::make_unique<RunConfig>();
}

// The kind a text file's "# proto-message: distsim.X" comment names, if any.
bool DeclaredKind(const std::string& path, ConfigKind* kind) {
  std::ifstream in(path);
  std::string line;
  for (int i = 0; i < kHeaderLines && std::getline(in, line); ++i) {
    if (!absl::StrContains(line, "proto-message:")) continue;
    for (ConfigKind k : kAll) {
      if (absl::EndsWith(absl::StripTrailingAsciiWhitespace(line), ConfigKindName(k))) {
        *kind = k;
        return true;
      }
    }
  }
  return false;
}

// The command that takes `kind`.
const char* CommandFor(ConfigKind kind) {
  switch (kind) {
    case ConfigKind::kCompare:
      return "compare";
    case ConfigKind::kPredict:
      return "predict";
    case ConfigKind::kStaleness:
      return "staleness";
    case ConfigKind::kRun:
      break;
  }
  return "run";
}

}  // namespace

const char* ConfigKindName(ConfigKind kind) {
  switch (kind) {
    case ConfigKind::kCompare:
      return "distsim.CompareConfig";
    case ConfigKind::kPredict:
      return "distsim.PredictConfig";
    case ConfigKind::kStaleness:
      return "distsim.StalenessStudyConfig";
    case ConfigKind::kRun:
      break;
  }
  return "distsim.RunConfig";
}

absl::StatusOr<ConfigKind> ConfigKindOf(const std::string& path, ConfigKind expected) {
  ConfigKind declared;
  if (DeclaredKind(path, &declared)) return declared;
  absl::Status first = LoadMessage(path, Empty(expected).get());
  if (first.ok()) return expected;
  if (absl::IsNotFound(first)) return first;
  for (ConfigKind kind : kAll) {
    if (kind != expected && LoadMessage(path, Empty(kind).get()).ok()) return kind;
  }
  return first;
}

absl::Status ExpectConfigKind(const std::string& path, const std::string& command,
                              const std::vector<ConfigKind>& accepted) {
  absl::StatusOr<ConfigKind> kind = ConfigKindOf(path, accepted.front());
  if (!kind.ok()) return absl::OkStatus();  // the command's loader says what is wrong
  if (std::find(accepted.begin(), accepted.end(), *kind) != accepted.end()) {
    return absl::OkStatus();
  }
  std::vector<std::string> names;
  for (ConfigKind k : accepted) names.push_back(ConfigKindName(k));
  return absl::InvalidArgumentError(
      absl::StrCat(path, " is a ", ConfigKindName(*kind), ": `distsim ", command, "` takes a ",
                   absl::StrJoin(names, " or a "), "; run it with `distsim ", CommandFor(*kind),
                   " ", path, "` (`distsim check ", path, "` validates any kind)"));
}

}  // namespace distsim::config
