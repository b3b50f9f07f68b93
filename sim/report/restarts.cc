#include "sim/report/restarts.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sim/report/chart_text.h"

namespace distsim::report {

std::string DescribeRestart(const Restart& x) {
  const std::string how =
      x.rejoined()
          ? absl::StrFormat("the worker rejoined alone at step %d", x.resumed_from_step() + 1)
          : absl::StrFormat("every process again from step %d", x.resumed_from_step());
  return absl::StrFormat("%s; %s (%d step%s done again)", x.failure(), how, x.steps_lost(),
                         x.steps_lost() == 1 ? "" : "s");
}

std::string RestartsNoteHtml(const std::vector<const RunResult*>& runs) {
  std::string items;
  for (const RunResult* run : runs) {
    const CheckpointSummary& c = run->checkpoints();
    for (int i = 0; i < c.restarts_size(); ++i) {
      absl::StrAppend(&items, "<li>", EscapeHtml(run->config().name()), ", restart ", i + 1, ": ",
                      EscapeHtml(DescribeRestart(c.restarts(i))), "</li>\n");
    }
  }
  if (items.empty()) return "";
  return absl::StrCat(
      "<div class=\"note\"><b>Restarts</b> (supervision.max_restarts): their figures include the "
      "steps done again.<ul>\n",
      items, "</ul></div>\n");
}

}  // namespace distsim::report
