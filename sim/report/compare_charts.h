// The charts of one group of report.html (html_report.h says what each draws and how its data
// can be read back), the groups themselves, and the facts about a comparison that the page's
// header, tables and charts share.
#ifndef DISTSIM_SIM_REPORT_COMPARE_CHARTS_H_
#define DISTSIM_SIM_REPORT_COMPARE_CHARTS_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "distsim/result.pb.h"

namespace distsim::report {

struct CompareFacts {
  const CompareResult* result = nullptr;  // not owned; outlives the facts
  double target = 0.95;                   // target test accuracy
  bool strong = false;                    // strong scaling (else weak)
  std::string baseline;                   // the run scaling efficiency is measured against
  std::map<std::string, std::pair<int, int>> run_row;  // run name -> (row index, repeat index)
};

// Defaults filled in as `distsim compare` fills them: target from the config, else from the
// runs, else 0.95; baseline from the config, else the first row.
CompareFacts MakeCompareFacts(const CompareResult& result);

// One group of the comparison (CompareRow.group): its rows in config order and the runs of
// their repeats (row by row, repeats in order).
struct GroupView {
  std::string group;
  std::vector<const CompareRow*> rows;  // not owned: the CompareFacts' result's
  std::vector<const RunResult*> runs;
  // run name -> (index of its row in `rows`, repeat index): colours follow the row in the group.
  std::map<std::string, std::pair<int, int>> run_row;
};

// The groups in order of their first row.
std::vector<GroupView> GroupViews(const CompareFacts& facts);

// What the x axis of an accuracy chart is.
enum class AccuracyX {
  kModelledJobTime,  // "accuracy-vs-job-time": EvalPoint.modelled_seconds
  kWallTime,         // "accuracy-vs-time": EvalPoint.wall_seconds
  kSamples,          // "accuracy-vs-samples": EvalPoint.samples
};

// Whether every run of the group that was evaluated has its evaluations on the modelled clock
// (EvalPoint.modelled_seconds > 0), and at least one was.
bool EvalsModelled(const GroupView& view);

// The <figure> of the group's test accuracy against `x`: one series per run. kModelledJobTime
// falls back to the wall time, and says so, when !EvalsModelled(view).
std::string AccuracyChart(const CompareFacts& facts, const GroupView& view, AccuracyX x);

// Whether the group's rows run at two or more worker counts (then it gets the workers charts).
bool SeveralWorkerCounts(const GroupView& view);

// The <figure> "throughput-vs-workers" (efficiency false) or "efficiency-vs-workers".
std::string WorkersChart(const CompareFacts& facts, const GroupView& view, bool efficiency);

// The colour, dash and opacity of a run's line: its row's place in the group; repeats paler.
struct RunStyle {
  std::string colour, dash;
  double opacity = 1;
};
RunStyle StyleOfRun(const GroupView& view, const RunResult& run);

// A percentage tick label, as many decimals as the step needs.
std::string PercentTick(double value, double step);

}  // namespace distsim::report

#endif  // DISTSIM_SIM_REPORT_COMPARE_CHARTS_H_
