// report.html of `distsim compare`: one self-contained page (no network, no external scripts,
// fonts or styles; opens offline) that shows a CompareResult side by side.
//
// The page holds, in order: the comparison's name, its target accuracy and scaling mode; the
// table (one row per CompareRow, grouped under CompareRow.group); six inline SVG charts drawn in
// C++ (no JavaScript needed); a provenance footer; and compare.json itself, embedded verbatim in
// <script type="application/json" id="compare-data"> with "</" written "<\/".
//
// The drawn data can be checked by a program. Each chart is <figure data-chart="ID">; each series
// is <g class="series" data-chart="ID" ...> with:
//   accuracy-vs-time, accuracy-vs-samples   one per RunResult, data-run = its config.name;
//       points <circle data-x data-y> = (evals.wall_seconds | evals.samples, evals.test_accuracy)
//   throughput-vs-workers, efficiency-vs-workers   one per (group, StrategyFamily(strategy),
//       distribution), data-strategy = the family, data-series = the legend label; points
//       (CompareRow.workers, samples_per_second.median | scaling_efficiency), data-row = the row's
//       name, ordered by workers; rows whose efficiency is 0 (undefined) have no efficiency point
//   time-split   one per CompareRow, data-row = its name; <rect data-part data-value> for
//       compute, communication, waiting, data, update (TimeSplit shares, 0 included)
//   bytes-per-step   one per CompareRow, data-row; one <rect data-part="bytes" data-value> =
//       bytes_per_worker_step
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

// The whole HTML page. Never fails: missing data (a run without evaluations, rows without
// traffic, a single worker count) is drawn as such and said in words.
std::string RenderCompareReport(const CompareResult& result);

// compare.json as the page embeds it: one line, proto field names, every field printed (64-bit
// integers as JSON strings), before the "</" escaping.
std::string CompareResultToJson(const CompareResult& result);

}  // namespace distsim::report

#endif  // DISTSIM_SIM_REPORT_HTML_REPORT_H_
