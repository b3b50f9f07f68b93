// report.html of `distsim compare`: one self-contained page (no network, no external scripts,
// fonts or styles; opens offline) that shows a CompareResult group by group.
//
// The page holds, in order: the comparison's name, its target accuracy, scaling mode and
// modelled clock; the claims and findings that belong to no group (<section class="across">);
// then one <section class="group" data-group="GROUP"> per CompareRow.group, in config order
// (report_sections.h), each holding only its group's rows and runs:
//   its heading; its claims (ClaimCheck, ClaimGroup in claims.h), each <li class="claim holds|
//   fails" data-measure data-run data-other data-value data-modelled data-measured data-holds>
//   with the check's numbers; its findings (the group's prefix dropped); its table
//   (<table class="results" data-group>, a <tr class="row" data-row="NAME"> per row); why a row
//   ended below its best (<ul class="best-notes"><li data-row>); its charts; what each host read.
// Then a note on the columns, a provenance footer, and compare.json itself, embedded verbatim in
// <script type="application/json" id="compare-data"> with "</" written "<\/".
//
// The drawn data can be checked by a program. Each chart is <figure data-chart="ID"> inside its
// group's section; each series is <g class="series" data-chart="ID" ...> with:
//   accuracy-vs-job-time, accuracy-vs-time, accuracy-vs-samples   one per RunResult of the
//       group, data-run = its config.name, data-clock = "modelled" | "wall" | "samples"; points
//       <circle data-x data-y> = (evals.modelled_seconds | evals.wall_seconds | evals.samples,
//       evals.test_accuracy). accuracy-vs-job-time uses the wall time (data-clock "wall", said in
//       its axis label and caption) unless every evaluation of the group has a modelled time.
//   job-time   one per CompareRow of the group, data-row, data-cost-usd =
//       modelled_cost_usd.median, data-idle-cost-usd = modelled_idle_cost_usd.median;
//       <rect data-part data-value> in seconds for download (modelled_download_seconds.median),
//       compute, communication, waiting (the first repeat's ModelledClock.seconds x its
//       compute_share, communication_share, waiting_share) and upload (its upload_seconds); all
//       0 for a row without a modelled job
//   throughput-vs-workers, efficiency-vs-workers   only in a group whose rows run at two or more
//       worker counts; one per (StrategyFamily(strategy), distribution) of the group,
//       data-strategy = the family, data-series = the legend label; points (CompareRow.workers,
//       samples_per_second.median | scaling_efficiency), data-row = the row's name, ordered by
//       workers; rows whose efficiency is 0 (undefined) have no efficiency point
//   label-histogram   (in <div class="data-summary">, rows whose first repeat has
//       RunResult.data) one per host, data-run, data-host = HostData.name; <rect data-part="K"
//       data-value> = label_counts[K]. Its table row is <tr data-host data-objects data-examples
//       data-idle="true|false">; an idle host has no histogram and says so. The card around it
//       is <div class="data-run" data-row data-run data-entropy = mean_object_label_entropy>.
// Numbers in data-* attributes print the raw double so that it parses back exactly.
#ifndef DISTSIM_SIM_REPORT_HTML_REPORT_H_
#define DISTSIM_SIM_REPORT_HTML_REPORT_H_

#include <string>

#include "distsim/result.pb.h"

namespace distsim::report {

// The style sheet of distsim's HTML pages (report.html, predict.html).
extern const char kReportCss[];

// The provenance footer of a page, ending with the sentence `embedded` (what data the page
// carries).
std::string ProvenanceFooterHtml(const Provenance& p, const std::string& embedded);

// The start of a page titled "<name>: distsim <command>", through <main>.
std::string PageStartHtml(const std::string& name, const std::string& command);

// The end of a page whose data is `json`, the contents of <name>.json: the provenance footer
// saying so, then the data in script#<name>-data (with "</" escaped), and the closing tags.
std::string PageEndHtml(const Provenance& p, const std::string& name, const std::string& json);

// The whole HTML page. Never fails: missing data (a run without evaluations, rows without
// traffic, a single worker count) is drawn as such and said in words.
std::string RenderCompareReport(const CompareResult& result);

// compare.json as the page embeds it: one line, proto field names, every field printed (64-bit
// integers as JSON strings), before the "</" escaping.
std::string CompareResultToJson(const CompareResult& result);

}  // namespace distsim::report

#endif  // DISTSIM_SIM_REPORT_HTML_REPORT_H_
