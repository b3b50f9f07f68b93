#include "sim/report/report_sections.h"

#include <cctype>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "distsim/config.pb.h"
#include "sim/report/claims.h"
#include "sim/report/data_summary.h"
#include "sim/report/job_charts.h"
#include "sim/report/report_table.h"
#include "sim/report/restarts.h"
#include "sim/report/row_facts.h"
#include "sim/report/svg_chart.h"

namespace distsim::report {

int FindingGroup(const std::vector<GroupView>& views, const std::string& finding) {
  for (size_t i = 0; i < views.size(); ++i) {
    const std::string prefix = FindingPrefix(views[i].group);
    if (!prefix.empty() && absl::StartsWith(finding, prefix)) return static_cast<int>(i);
  }
  for (size_t i = 0; i < views.size(); ++i) {
    for (const RunResult* run : views[i].runs) {
      if (absl::StartsWith(finding, absl::StrCat(run->config().name(), " "))) {
        return static_cast<int>(i);
      }
    }
  }
  return -1;
}

namespace {

// A finding without its group's prefix, its first letter upper case: the heading names the group.
// A finding that does not start with the prefix (one that starts with a run's name) is kept.
std::string InGroup(const std::string& finding, const std::string& group) {
  const std::string prefix = FindingPrefix(group);
  if (prefix.empty() || !absl::StartsWith(finding, prefix)) return finding;  // e.g. a run's name
  std::string text = finding.substr(prefix.size());
  if (!text.empty()) text[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])));
  return text;
}

std::string ClaimsHtml(const std::vector<const ClaimCheck*>& checks) {
  if (checks.empty()) return "";
  std::string out = "<ul class=\"claims\">\n";
  for (const ClaimCheck* check : checks) {
    const Claim& claim = check->claim();
    absl::StrAppendFormat(
        &out,
        "<li class=\"claim %s\" data-measure=\"%s\" data-run=\"%s\" data-other=\"%s\" "
        "data-value=\"%s\" data-modelled=\"%s\" data-measured=\"%s\" data-holds=\"%s\">"
        "<span class=\"verdict\">%s</span> %s</li>\n",
        check->holds() ? "holds" : "fails", Claim::Measure_Name(claim.measure()),
        EscapeHtml(claim.run()), EscapeHtml(claim.other()), FormatNumber(claim.value()),
        FormatNumber(check->modelled()), FormatNumber(check->measured()),
        check->holds() ? "true" : "false", check->holds() ? "holds here" : "not here",
        EscapeHtml(check->summary()));
  }
  absl::StrAppend(&out, "</ul>\n");
  return out;
}

std::string FindingsHtml(const std::vector<std::string>& findings) {
  if (findings.empty()) return "";
  std::string out = "<div class=\"findings\"><h3>What the numbers show</h3><ul>\n";
  for (const std::string& finding : findings) {
    absl::StrAppend(&out, "<li>", EscapeHtml(finding), "</li>\n");
  }
  absl::StrAppend(&out, "</ul></div>\n");
  return out;
}

// Why rows ended below their best, one item per such row.
std::string BestNotesHtml(const CompareFacts& ctx, const GroupView& view) {
  std::string items;
  for (const CompareRow* row : view.rows) {
    const std::string reason = BestBelowFinalReason(*ctx.result, *row);
    if (reason.empty()) continue;
    absl::StrAppendFormat(&items, "<li data-row=\"%s\"><b>%s</b>: %s.</li>\n",
                          EscapeHtml(row->name()), EscapeHtml(row->name()), EscapeHtml(reason));
  }
  if (items.empty()) return "";
  return absl::StrCat("<ul class=\"best-notes\">\n", items, "</ul>\n");
}

std::string ChartsHtml(const CompareFacts& ctx, const GroupView& view) {
  std::string out = absl::StrCat(
      "<div class=\"charts\">\n", AccuracyChart(ctx, view, AccuracyX::kModelledJobTime),
      AccuracyChart(ctx, view, AccuracyX::kWallTime), JobTimeChart(ctx, view),
      AccuracyChart(ctx, view, AccuracyX::kSamples));
  if (SeveralWorkerCounts(view)) {
    absl::StrAppend(&out, WorkersChart(ctx, view, false), WorkersChart(ctx, view, true));
  }
  absl::StrAppend(&out, "</div>\n");
  return out;
}

std::string SectionHtml(const CompareFacts& ctx, const GroupView& view,
                        const std::vector<const ClaimCheck*>& claims,
                        const std::vector<std::string>& findings) {
  return absl::StrCat("<section class=\"group\" data-group=\"", EscapeHtml(view.group), "\"><h2>",
                      view.group.empty() ? "Runs" : EscapeHtml(view.group), "</h2>\n",
                      ClaimsHtml(claims), FindingsHtml(findings), RenderRowsTable(ctx, view),
                      BestNotesHtml(ctx, view), RestartsNoteHtml(view.runs), ChartsHtml(ctx, view),
                      RenderDataSummary(ctx, view), "</section>\n");
}

}  // namespace

std::string RenderSections(const CompareFacts& ctx) {
  const CompareResult& result = *ctx.result;
  const std::vector<GroupView> views = GroupViews(ctx);
  std::vector<std::vector<const ClaimCheck*>> claims(views.size());
  std::vector<std::vector<std::string>> findings(views.size());
  std::vector<const ClaimCheck*> loose_claims;
  std::vector<std::string> loose_findings;
  for (const ClaimCheck& check : result.claims()) {
    const std::string group = ClaimGroup(result, check);
    size_t i = 0;
    while (i < views.size() && views[i].group != group) ++i;
    (i < views.size() ? claims[i] : loose_claims).push_back(&check);
  }
  for (const std::string& finding : result.findings()) {
    const int i = FindingGroup(views, finding);
    if (i < 0) {
      loose_findings.push_back(finding);
    } else {
      findings[i].push_back(InGroup(finding, views[i].group));
    }
  }
  std::string out;
  if (!loose_claims.empty() || !loose_findings.empty()) {
    absl::StrAppend(&out, "<section class=\"across\">", ClaimsHtml(loose_claims),
                    FindingsHtml(loose_findings), "</section>\n");
  }
  for (size_t i = 0; i < views.size(); ++i) {
    absl::StrAppend(&out, SectionHtml(ctx, views[i], claims[i], findings[i]));
  }
  return out;
}

}  // namespace distsim::report
