#include "sim/report/strategy_names.h"

#include <cctype>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace distsim::report {

std::string ShortStrategy(const std::string& strategy) {
  if (strategy.empty()) return "local";
  std::vector<std::string> parts = absl::StrSplit(strategy, ", ");
  std::string head = parts[0];
  if (absl::StartsWith(head, "allreduce ")) {
    head = head.substr(10);
    for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return head;  // "ring"
  }
  if (!absl::StartsWith(head, "parameter_server ")) return head;
  std::string out = absl::StrCat("ps ", head.substr(17));
  // "1 server (DEDICATED)" is the default and says nothing; others do.
  if (parts.size() > 1) {
    const std::string& servers = parts[1];
    if (absl::StrContains(servers, "(COLOCATED)")) {
      absl::StrAppend(&out, " coloc");
    } else if (!absl::StartsWith(servers, "1 server ")) {
      absl::StrAppend(&out, " k=", servers.substr(0, servers.find(' ')));
    }
  }
  return out;
}

std::string StrategyFamily(const std::string& strategy) {
  auto is_count = [](const std::string& text, const std::string& noun) {
    size_t i = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    if (i == 0) return false;
    const std::string rest = text.substr(i);
    return rest == absl::StrCat(" ", noun) || rest == absl::StrCat(" ", noun, "s");
  };
  std::string out = strategy;
  if (const size_t comma = out.rfind(", ");
      comma != std::string::npos && is_count(out.substr(comma + 2), "worker")) {
    out.resize(comma);
  }
  if (const size_t colocated = out.find(" (COLOCATED)"); colocated != std::string::npos) {
    const size_t comma = out.rfind(", ", colocated);
    const size_t start = comma == std::string::npos ? 0 : comma + 2;
    if (is_count(out.substr(start, colocated - start), "server")) {
      out.replace(start, colocated - start, "servers");
    }
  }
  return out;
}

}  // namespace distsim::report
