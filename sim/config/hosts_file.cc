#include "sim/config/hosts_file.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace distsim::config {
namespace {

bool IsIpv4(absl::string_view text) {
  const std::vector<absl::string_view> parts = absl::StrSplit(text, '.');
  if (parts.size() != 4) return false;
  for (absl::string_view part : parts) {
    int value = -1;
    if (part.empty() || part.size() > 3 || !absl::SimpleAtoi(part, &value) || value > 255) {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::StatusOr<std::map<std::string, std::string>> ParseHostsFile(std::string_view text,
                                                                 const std::string& path) {
  std::map<std::string, std::string> table;
  int number = 0;
  const absl::string_view all(text.data(), text.size());
  for (absl::string_view line : absl::StrSplit(all, '\n')) {
    ++number;
    line = line.substr(0, line.find('#'));
    const std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
    if (fields.empty()) continue;
    if (fields[0].find(':') != absl::string_view::npos) continue;  // IPv6
    if (!IsIpv4(fields[0])) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", number, ": \"", fields[0],
                                                     "\" is not an IPv4 address"));
    }
    if (fields.size() < 2) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", number, ": an address without a host name"));
    }
    for (size_t i = 1; i < fields.size(); ++i) {
      table.emplace(std::string(fields[i]), std::string(fields[0]));  // the first line wins
    }
  }
  return table;
}

}  // namespace distsim::config
