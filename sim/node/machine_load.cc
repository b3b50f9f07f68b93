#include "sim/node/machine_load.h"

#include <sched.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace distsim::node {
namespace {

constexpr char kLoadAvgPath[] = "/proc/loadavg";

absl::Status Bad(absl::string_view field, absl::string_view text) {
  return absl::InvalidArgumentError(
      absl::StrCat(kLoadAvgPath, ": ", field, ": cannot parse \"", text, "\""));
}

int CoresOfThisProcess() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return CPU_COUNT(&set);
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace

absl::StatusOr<MachineLoad> ParseLoadAvg(absl::string_view text) {
  std::vector<absl::string_view> fields =
      absl::StrSplit(text, absl::ByAnyChar(" \t\n"), absl::SkipEmpty());
  if (fields.size() < 4) return Bad("fields", text);
  double averages[3];
  const char* names[3] = {"1-minute load", "5-minute load", "15-minute load"};
  for (int i = 0; i < 3; ++i) {
    if (!absl::SimpleAtod(fields[i], &averages[i]) || averages[i] < 0) {
      return Bad(names[i], fields[i]);
    }
  }
  std::vector<absl::string_view> tasks = absl::StrSplit(fields[3], '/');
  uint32_t runnable = 0, existing = 0;
  if (tasks.size() != 2 || !absl::SimpleAtoi(tasks[0], &runnable) ||
      !absl::SimpleAtoi(tasks[1], &existing)) {
    return Bad("runnable/tasks", fields[3]);
  }
  MachineLoad load;
  load.set_load1(averages[0]);
  load.set_load5(averages[1]);
  load.set_load15(averages[2]);
  load.set_runnable(runnable);
  load.set_tasks(existing);
  return load;
}

MachineLoad ReadMachineLoad() {
  MachineLoad load;
  std::ifstream in(kLoadAvgPath);
  std::stringstream text;
  text << in.rdbuf();
  if (absl::StatusOr<MachineLoad> parsed = ParseLoadAvg(text.str()); parsed.ok()) load = *parsed;
  load.set_cores(CoresOfThisProcess());
  return load;
}

std::string DescribeLoad(const MachineLoad& load) {
  return absl::StrFormat("load %.2f %.2f %.2f, %u of %u tasks runnable, %u cores", load.load1(),
                         load.load5(), load.load15(), load.runnable(), load.tasks(), load.cores());
}

}  // namespace distsim::node
