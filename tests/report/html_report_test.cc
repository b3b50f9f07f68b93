// report.html checked against the data it draws: the embedded compare.json parses back equal to
// the input, every chart has one series per run (or per strategy, or per row) whose points carry
// the proto's values, the table has one row per CompareRow, text is escaped and nothing is
// fetched from the network. The last test writes a sample page for a look in a browser.
#include "sim/report/html_report.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "sim/report/svg_chart.h"
#include "tests/report/html_scan.h"

namespace distsim::report {
namespace {

using ::google::protobuf::util::MessageDifferencer;

constexpr char kScriptName[] = "ring-4w<script>alert(1)</script>";

// ---------------------------------------------------------------------------------------------
// The comparison under test.

// `n` evaluations of a run that learns towards `top` with time constant `tau` seconds.
void AddEvals(RunResult* run, int n, double seconds, int64_t samples, double top, double tau) {
  for (int i = 1; i <= n; ++i) {
    EvalPoint* e = run->add_evals();
    e->set_step(i * 50);
    e->set_samples(samples * i / n);
    e->set_wall_seconds(seconds * i / n + 0.137);
    e->set_test_accuracy(top - (top - 0.1) * std::exp(-e->wall_seconds() / tau));
    e->set_test_loss(2.3 * (1 - e->test_accuracy()));
  }
}

RunResult* AddRun(CompareResult* result, const std::string& name, const std::string& strategy,
                  int workers) {
  RunResult* run = result->add_runs();
  run->mutable_config()->set_name(name);
  run->set_strategy(strategy);
  run->set_workers(workers);
  run->set_target_accuracy(0.9);
  return run;
}

CompareRow* AddRow(CompareResult* result, const std::string& name, const std::string& group,
                   const RunResult& first) {
  CompareRow* row = result->add_rows();
  row->set_name(name);
  row->set_group(group);
  row->set_strategy(first.strategy());
  row->set_workers(first.workers());
  row->set_distribution(first.workers() == 1 ? "FULLY_REPLICATED" : "SHARDED_BY_KEY");
  row->set_samples(first.evals_size() > 0 ? first.evals().rbegin()->samples() : 0);
  const double acc = first.evals_size() > 0 ? first.evals().rbegin()->test_accuracy() : 0;
  row->mutable_final_test_accuracy()->set_median(acc);
  row->mutable_final_test_accuracy()->set_min(acc);
  row->mutable_final_test_accuracy()->set_max(acc);
  return row;
}

void SetSplit(CompareRow* row, double data, double compute, double comm, double wait,
              double update) {
  TimeSplit* s = row->mutable_time_split();
  s->set_data(data), s->set_compute(compute), s->set_communication(comm), s->set_waiting(wait);
  s->set_update(update);
}

void SetRate(CompareRow* row, double median, double min, double max) {
  row->mutable_samples_per_second()->set_median(median);
  row->mutable_samples_per_second()->set_min(min);
  row->mutable_samples_per_second()->set_max(max);
}

// The modelled clock of a row and of its first run.
void SetModelled(CompareRow* row, RunResult* first, double seconds, double sps, double step_ms,
                 double efficiency, double compute, double comm, double wait,
                 const std::string& network) {
  for (auto [stat, v] : {std::make_pair(row->mutable_modelled_seconds(), seconds),
                         std::make_pair(row->mutable_modelled_samples_per_second(), sps)}) {
    stat->set_median(v), stat->set_min(v), stat->set_max(v);
  }
  row->set_modelled_step_ms(step_ms);
  row->set_modelled_scaling_efficiency(efficiency);
  row->set_network(network);
  ModelledClock* m = first->mutable_modelled();
  m->set_instance_type("ml.c5.xlarge");
  m->set_clock_mode("FLOPS");
  m->set_seconds(seconds);
  m->set_samples_per_second(sps);
  m->set_step_ms_mean(step_ms);
  m->set_compute_share(compute), m->set_communication_share(comm), m->set_waiting_share(wait);
  // The job around it: a download of a quarter of the training, a 0.5 s upload, $0.72 per host
  // hour on `first->workers()` hosts; a tenth of it idle where the shares have waiting.
  m->set_download_seconds(seconds / 4);
  m->set_upload_seconds(0.5);
  m->set_job_seconds(seconds / 4 + seconds + 0.5);
  m->set_cost_usd(m->job_seconds() * first->workers() * 0.72 / 3600);
  m->set_idle_cost_usd(wait > 0 ? m->cost_usd() / 10 : 0);
  for (auto [stat, v] :
       {std::make_pair(row->mutable_modelled_job_seconds(), m->job_seconds()),
        std::make_pair(row->mutable_modelled_download_seconds(), seconds / 4),
        std::make_pair(row->mutable_modelled_cost_usd(), m->cost_usd()),
        std::make_pair(row->mutable_modelled_idle_cost_usd(), m->idle_cost_usd())}) {
    stat->set_median(v), stat->set_min(v), stat->set_max(v);
  }
}

// Five rows: local, PS sync (three repeats, a straggler), PS async (staleness), ring at 2 and 4
// workers (the latter never evaluated, named with a <script> tag, efficiency undefined, no
// modelled clock). All but the last have a modelled clock.
CompareResult SampleCompare() {
  CompareResult result;
  CompareConfig* config = result.mutable_config();
  config->set_name("strategies-at-4-workers");
  config->set_target_accuracy(0.9);
  config->set_scaling(CompareConfig::WEAK);
  config->set_baseline("local-1w");
  Provenance* p = result.mutable_provenance();
  p->set_distsim_version("0.1.0");
  p->set_git_revision("abc1234");
  p->set_compiler("GNU 12.2.0");
  p->set_compiler_flags("-O3 -march=native");
  p->set_cpu_model("Example CPU @ 2.0GHz");
  p->set_cpu_cores(2);
  p->set_started_at("2024-01-01T00:00:00Z");
  result.set_wall_seconds(312.5);

  RunResult* local = AddRun(&result, "local-1w", "local", 1);
  AddEvals(local, 12, 40, 96000, 0.955, 9);
  CompareRow* row = AddRow(&result, "local-1w", "strategies", *local);
  row->set_description("One process: the reference every other run is compared with.");
  row->add_run_names("local-1w");
  SetRate(row, 2400.5, 2400.5, 2400.5);
  row->set_scaling_efficiency(1.0);
  SetSplit(row, 0, 0.91, 0, 0, 0.09);
  row->set_reached_target(1);
  row->mutable_time_to_target_s()->set_median(18.25);
  SetModelled(row, local, 12.5, 7680, 8.33, 1.0, 1, 0, 0, "");

  const std::string sync = "parameter_server SYNC, 1 server (DEDICATED), 4 workers";
  std::vector<RunResult*> repeats;
  for (int k = 0; k < 3; ++k) {
    RunResult* run = AddRun(&result, absl::StrCat("ps-sync-4w-r", k), sync, 4);
    AddEvals(run, 10, 60 + 3 * k, 96000, 0.94 + 0.004 * k, 14 + k);
    repeats.push_back(run);
  }
  row = AddRow(&result, "ps-sync-4w", "strategies", *repeats[0]);
  row->set_description("Averaged gradients: the same maths as one worker with 4x the batch.");
  for (RunResult* run : repeats) row->add_run_names(run->config().name());
  Stat* acc = row->mutable_final_test_accuracy();
  acc->set_median(repeats[1]->evals().rbegin()->test_accuracy());
  acc->set_min(repeats[0]->evals().rbegin()->test_accuracy());
  acc->set_max(repeats[2]->evals().rbegin()->test_accuracy());
  SetRate(row, 1600.25, 1510, 1702.75);
  row->set_scaling_efficiency(0.1666);
  SetSplit(row, 0.02, 0.41, 0.33, 0.21, 0.03);
  row->set_bytes_per_worker_step(2 * 4 * 101770.0);
  row->set_reached_target(2);
  row->mutable_time_to_target_s()->set_median(41.5);
  row->mutable_time_to_target_s()->set_min(39);
  row->mutable_time_to_target_s()->set_max(44);
  SetModelled(row, repeats[0], 40.25, 9600.5, 26.67, 0.3125, 0.3, 0.1, 0.6,
              "10 Gbit/s, 50 us, modelled");
  row->mutable_modelled_seconds()->set_min(39.5);
  row->mutable_modelled_seconds()->set_max(41);
  row->add_faults("worker 3: 4x slower");
  for (RunResult* run : repeats) run->add_faults("worker 3: 4x slower");

  RunResult* async =
      AddRun(&result, "ps-async-4w", "parameter_server ASYNC, 1 server (DEDICATED), 4 workers", 4);
  AddEvals(async, 10, 45, 96000, 0.93, 12);
  row = AddRow(&result, "ps-async-4w", "strategies", *async);
  row->add_run_names("ps-async-4w");
  SetRate(row, 2133.3333333333335, 2133.3333333333335, 2133.3333333333335);
  row->set_scaling_efficiency(0.2222);
  SetSplit(row, 0.03, 0.52, 0.45, 0, 0);
  row->set_bytes_per_worker_step(8 * 101770.0);
  row->mutable_staleness()->set_updates(960);
  row->mutable_staleness()->set_mean(2.71);
  row->mutable_staleness()->set_max(7);
  row->set_reached_target(1);
  row->mutable_time_to_target_s()->set_median(27.8);
  SetModelled(row, async, 10.125, 25000, 10.24, 0.8138, 0.82, 0.18, 0, "0.1 Gbit/s, 50 us, shaped");
  row->set_workers_lost(1);

  RunResult* ring2 = AddRun(&result, "ring-2w", "allreduce RING, 2 workers", 2);
  AddEvals(ring2, 8, 50, 96000, 0.95, 11);
  row = AddRow(&result, "ring-2w", "ring sweep", *ring2);
  row->add_run_names("ring-2w");
  row->set_description("Ring allreduce & friends: \"reduce-scatter\" then allgather.");
  SetRate(row, 1920, 1920, 1920);
  row->set_scaling_efficiency(0.4);
  SetSplit(row, 0.01, 0.6, 0.25, 0.08, 0.06);
  row->set_bytes_per_worker_step(2 * 2.0 * 1 / 2 * 4 * 101770.0);
  row->set_reached_target(1);
  row->mutable_time_to_target_s()->set_median(22.125);
  SetModelled(row, ring2, 9.5, 16000.25, 8, 1.0417, 0.9, 0.1, 0, "10 Gbit/s, 50 us, modelled");

  RunResult* ring4 = AddRun(&result, kScriptName, "allreduce RING, 4 workers", 4);
  row = AddRow(&result, kScriptName, "ring sweep", *ring4);
  row->add_run_names(kScriptName);
  SetRate(row, 3010, 3010, 3010);
  SetSplit(row, 0, 0, 0, 0, 0);
  row->set_bytes_per_worker_step(2 * 2.0 * 3 / 4 * 4 * 101770.0);
  return result;
}

// ---------------------------------------------------------------------------------------------
// Reading the page back with plain string scanning.

using testing::Bars;
using testing::Element;
using testing::Find;
using testing::GroupSections;
using testing::Points;
using testing::SeriesOf;

constexpr char kDataOpen[] = "<script type=\"application/json\" id=\"compare-data\">";

std::string EmbeddedJson(const std::string& html) {
  const size_t start = html.find(kDataOpen);
  if (start == std::string::npos) return "";
  const size_t body = start + std::string(kDataOpen).size();
  return html.substr(body, html.find("</script>", body) - body);
}

std::string WithoutData(const std::string& html) {
  return absl::StrReplaceAll(html, {{EmbeddedJson(html), ""}});
}

// A number that did not survive: "nan", "-inf", "Infinity" as a word anywhere on the page.
bool HasNonFinite(const std::string& html) {
  static const std::regex kBad("\\b(nan|inf|infinity)\\b", std::regex::icase);
  return std::regex_search(html, kBad);
}

class HtmlReportTest : public ::testing::Test {
 protected:
  CompareResult result_ = SampleCompare();
  std::string html_ = RenderCompareReport(result_);
};

// ---------------------------------------------------------------------------------------------

TEST_F(HtmlReportTest, EmbeddedJsonParsesBackEqual) {
  const std::string json = EmbeddedJson(html_);
  ASSERT_FALSE(json.empty());
  EXPECT_EQ(json.find("</"), std::string::npos) << "the JSON could end the script element";
  CompareResult parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(
                  absl::StrReplaceAll(json, {{"<\\/", "</"}}), &parsed)
                  .ok());
  EXPECT_TRUE(MessageDifferencer::Equals(parsed, result_));
  EXPECT_NE(json.find("\"final_test_accuracy\""), std::string::npos) << "proto field names";
}

// A run that restarted is listed under its group's rows with what the restart cost; a page
// without restarts has no such note.
TEST_F(HtmlReportTest, RestartsAreListedWithTheStepsDoneAgain) {
  EXPECT_EQ(html_.find("<b>Restarts</b>"), std::string::npos);
  CompareResult result = result_;
  Restart* r = result.mutable_runs(0)->mutable_checkpoints()->add_restarts();
  r->set_failure("worker 1 (pid 42) was killed by signal 9 (SIGKILL) at step 230");
  r->set_resumed_from_step(230);
  r->set_rejoined(true);
  r->set_steps_lost(1);
  const std::string html = RenderCompareReport(result);
  EXPECT_NE(html.find("<b>Restarts</b>"), std::string::npos);
  EXPECT_NE(html.find(result.runs(0).config().name() +
                      ", restart 1: worker 1 (pid 42) was killed by signal 9 (SIGKILL) at step "
                      "230; the worker rejoined alone at step 231 (1 step done again)"),
            std::string::npos);
}

void ExpectAccuracySeries(const CompareResult& result, const std::string& html,
                          const std::string& chart, bool by_samples) {
  std::vector<Element> series = SeriesOf(html, chart);
  ASSERT_EQ(series.size(), static_cast<size_t>(result.runs_size()));
  for (const RunResult& run : result.runs()) {
    SCOPED_TRACE(run.config().name());
    int found = 0;
    for (const Element& s : series) {
      if (s.attrs.at("data-run") != run.config().name()) continue;
      ++found;
      const auto points = Points(s);
      ASSERT_EQ(points.size(), static_cast<size_t>(run.evals_size()));
      for (int i = 0; i < run.evals_size(); ++i) {
        const EvalPoint& e = run.evals(i);
        EXPECT_EQ(points[i].first,
                  by_samples ? static_cast<double>(e.samples()) : e.wall_seconds());
        EXPECT_EQ(points[i].second, e.test_accuracy());
      }
    }
    EXPECT_EQ(found, 1);
  }
}

TEST_F(HtmlReportTest, AccuracyVsTimeHasOneSeriesPerRunWithItsEvals) {
  ExpectAccuracySeries(result_, html_, "accuracy-vs-time", false);
}

TEST_F(HtmlReportTest, AccuracyVsSamplesHasOneSeriesPerRunWithItsEvals) {
  ExpectAccuracySeries(result_, html_, "accuracy-vs-samples", true);
}

// Expected by strategy, written out here rather than derived with the code under test.
const std::map<std::string, std::vector<std::string>>& RowsByStrategy() {
  static const auto* rows = new std::map<std::string, std::vector<std::string>>{
      {"local", {"local-1w"}},
      {"parameter_server SYNC, 1 server (DEDICATED)", {"ps-sync-4w"}},
      {"parameter_server ASYNC, 1 server (DEDICATED)", {"ps-async-4w"}},
      {"allreduce RING", {"ring-2w", kScriptName}}};
  return *rows;
}

void ExpectWorkerSeries(const CompareResult& result, const std::string& html, bool efficiency) {
  const std::vector<Element> series =
      SeriesOf(html, efficiency ? "efficiency-vs-workers" : "throughput-vs-workers");
  ASSERT_EQ(series.size(), RowsByStrategy().size());
  for (const auto& [strategy, names] : RowsByStrategy()) {
    SCOPED_TRACE(strategy);
    std::vector<const CompareRow*> rows;
    for (const std::string& name : names) {
      for (const CompareRow& row : result.rows()) {
        if (row.name() == name && (!efficiency || row.scaling_efficiency() > 0)) {
          rows.push_back(&row);
        }
      }
    }
    int found = 0;
    for (const Element& s : series) {
      if (s.attrs.at("data-strategy") != strategy) continue;
      ++found;
      const auto points = Points(s);
      const auto circles = Find(s.inner, "<circle class=\"point\"", "</circle>");
      ASSERT_EQ(points.size(), rows.size());
      for (size_t i = 0; i < rows.size(); ++i) {
        EXPECT_EQ(points[i].first, rows[i]->workers());
        EXPECT_EQ(points[i].second, efficiency ? rows[i]->scaling_efficiency()
                                               : rows[i]->samples_per_second().median());
        EXPECT_EQ(circles[i].attrs.at("data-row"), rows[i]->name());
      }
    }
    EXPECT_EQ(found, 1);
  }
}

TEST_F(HtmlReportTest, ThroughputVsWorkersHasOneSeriesPerStrategy) {
  ExpectWorkerSeries(result_, html_, false);
}

TEST_F(HtmlReportTest, EfficiencyVsWorkersHasOneSeriesPerStrategyWithoutUndefined) {
  ExpectWorkerSeries(result_, html_, true);
  EXPECT_NE(html_.find("1 row without a defined efficiency is left out"), std::string::npos);
}

TEST_F(HtmlReportTest, TableHasTheModelledClockNetworkAndFaults) {
  const std::vector<Element> rows = Find(html_, "<tr class=\"row\"", "</tr>");
  ASSERT_EQ(rows.size(), static_cast<size_t>(result_.rows_size()));
  for (const char* column : {"samples, length", "final test accuracy", "best test accuracy",
                             "scaling efficiency here / modelled", "modelled training, step",
                             "modelled job, download", "modelled cost", "strategy, network"}) {
    EXPECT_NE(html_.find(absl::StrCat("<th>", column, "</th>")), std::string::npos) << column;
  }
  // ps-sync-4w: the modelled time over its repeats, its step, efficiency, network and fault.
  const std::string& sync = rows[1].inner;
  EXPECT_NE(sync.find("<td class=\"modelled\"><span class=\"value\">40.25 s</span>"
                      "<span class=\"spread\">39.50–41.00 s</span>"
                      "<span class=\"spread\">26.7 ms/step</span></td>"),
            std::string::npos)
      << sync;
  // Its modelled job (download + training + upload: 10.0625 + 40.25 + 0.5 s) with the download
  // below, and the bill of 4 hosts at $0.72 an hour with its idle tenth below.
  EXPECT_NE(sync.find("<td class=\"job\"><span class=\"value\">50.8 s</span><span "
                      "class=\"spread\">10.1 s download</span></td><td class=\"cost\">$0.041"
                      "<span class=\"spread missed\">$0.004 idle</span></td>"),
            std::string::npos)
      << sync;
  EXPECT_NE(sync.find("<td>17% / 31%</td>"), std::string::npos) << sync;  // here / modelled
  EXPECT_NE(sync.find("ps SYNC<div class=\"desc network\">10 Gbit/s, 50 us, modelled</div>"
                      "<div class=\"desc fault\">worker 3: 4x slower"),
            std::string::npos)
      << sync;
  EXPECT_NE(rows[2].inner.find("0.1 Gbit/s, 50 us, shaped"), std::string::npos);
  EXPECT_NE(rows[2].inner.find("1 worker lost"), std::string::npos);
  EXPECT_NE(rows[2].inner.find("<td>22% / 81%</td>"), std::string::npos) << rows[2].inner;
  EXPECT_NE(rows[2].inner.find("<span class=\"spread\">10.2 ms/step</span></td>"),
            std::string::npos)
      << rows[2].inner;
  // The last ring row has no modelled clock: dashes, not zeros.
  EXPECT_NE(rows[4].inner.find("<td>– / –</td>"), std::string::npos) << rows[4].inner;
  EXPECT_NE(rows[4].inner.find("<td class=\"modelled\">–</td><td class=\"job\">–</td><td>–</td>"),
            std::string::npos)
      << rows[4].inner;
  EXPECT_NE(html_.find("<b>Modelled clock</b> (one ml.c5.xlarge per host, FLOPS clock)"),
            std::string::npos);
}

// Every data-row and data-run attribute inside `section`, unescaped.
std::set<std::string> Named(const std::string& section, const std::string& attribute) {
  static const std::regex kAny("data-(row|run)=\"([^\"]*)\"");
  std::set<std::string> out;
  for (auto it = std::sregex_iterator(section.begin(), section.end(), kAny);
       it != std::sregex_iterator(); ++it) {
    if ((*it)[1] == attribute) out.insert(testing::Unescape((*it)[2]));
  }
  return out;
}

TEST_F(HtmlReportTest, EachGroupSectionHoldsOnlyItsOwnRowsAndRuns) {
  const auto sections = GroupSections(html_);
  ASSERT_EQ(sections.size(), 2u);
  EXPECT_EQ(sections[0].first, "strategies");  // config order
  EXPECT_EQ(sections[1].first, "ring sweep");
  for (const auto& [group, section] : sections) {
    SCOPED_TRACE(group);
    std::set<std::string> rows, runs;
    for (const CompareRow& row : result_.rows()) {
      if (row.group() != group) continue;
      rows.insert(row.name());
      runs.insert(row.run_names().begin(), row.run_names().end());
    }
    EXPECT_EQ(Named(section, "row"), rows);
    EXPECT_EQ(Named(section, "run"), runs);
    EXPECT_EQ(Find(section, "<tr class=\"row\"", "</tr>").size(), rows.size());
    EXPECT_EQ(SeriesOf(section, "job-time").size(), rows.size());
    EXPECT_EQ(SeriesOf(section, "accuracy-vs-time").size(), runs.size());
  }
  // strategies: local-1w, ps-sync-4w (3 repeats), ps-async-4w.
  EXPECT_EQ(SeriesOf(sections[0].second, "accuracy-vs-samples").size(), 5u);
}

TEST_F(HtmlReportTest, JobTimeHasOneBarPerRowSplitAsTheModelledJobWithItsCost) {
  const std::vector<Element> bars = SeriesOf(html_, "job-time");
  ASSERT_EQ(bars.size(), static_cast<size_t>(result_.rows_size()));
  // ps-sync-4w, by hand from SampleCompare: 40.25 s of training at shares 0.3 / 0.1 / 0.6 after
  // a download of a quarter of it, then a 0.5 s upload; 4 hosts at $0.72 an hour, a tenth idle.
  const Element& sync = bars[1];
  EXPECT_EQ(sync.attrs.at("data-row"), "ps-sync-4w");
  const std::map<std::string, double> parts = Bars(sync);
  ASSERT_EQ(parts.size(), 5u);
  EXPECT_DOUBLE_EQ(parts.at("download"), 10.0625);
  EXPECT_DOUBLE_EQ(parts.at("compute"), 40.25 * 0.3);
  EXPECT_DOUBLE_EQ(parts.at("communication"), 40.25 * 0.1);
  EXPECT_DOUBLE_EQ(parts.at("waiting"), 40.25 * 0.6);
  EXPECT_DOUBLE_EQ(parts.at("upload"), 0.5);
  const double cost = (10.0625 + 40.25 + 0.5) * 4 * 0.72 / 3600;
  EXPECT_DOUBLE_EQ(std::stod(sync.attrs.at("data-cost-usd")), cost);
  EXPECT_DOUBLE_EQ(std::stod(sync.attrs.at("data-idle-cost-usd")), cost / 10);
  EXPECT_NE(sync.inner.find(absl::StrFormat(">$%.3f (idle $%.4f)</text>", cost, cost / 10)),
            std::string::npos)
      << sync.inner;
  // local-1w: no waiting, nothing idle, and the end text says the cost alone.
  EXPECT_EQ(Bars(bars[0]).at("waiting"), 0);
  EXPECT_EQ(bars[0].inner.find("idle"), std::string::npos);
  EXPECT_NE(html_.find("<b>Idle hosts:</b>"), std::string::npos);
  // The ring row without a modelled clock: zeros, said in words.
  for (const auto& [part, value] : Bars(bars[4])) EXPECT_EQ(value, 0) << part;
  EXPECT_NE(bars[4].inner.find(">not modelled</text>"), std::string::npos);
  EXPECT_NE(html_.find("1 row without a modelled job is marked"), std::string::npos);
}

TEST_F(HtmlReportTest, AccuracyAgainstJobTimeUsesTheModelledClockOrSaysItFellBack) {
  // No evaluation has a modelled time: the wall time, said in the axis label and caption.
  for (const Element& s : SeriesOf(html_, "accuracy-vs-job-time")) {
    EXPECT_EQ(s.attrs.at("data-clock"), "wall");
  }
  EXPECT_NE(html_.find("these runs have no modelled clock"), std::string::npos);
  EXPECT_NE(html_.find("<b>No modelled clock:</b>"), std::string::npos);

  // Every evaluation of the strategies group on the modelled clock: that group draws it.
  CompareResult modelled = result_;
  for (RunResult& run : *modelled.mutable_runs()) {
    if (run.config().name().rfind("ring", 0) == 0) continue;
    for (EvalPoint& e : *run.mutable_evals()) e.set_modelled_seconds(5 + 2 * e.wall_seconds());
  }
  const std::string html = RenderCompareReport(modelled);
  const auto sections = GroupSections(html);
  ASSERT_EQ(sections.size(), 2u);
  const std::vector<Element> series = SeriesOf(sections[0].second, "accuracy-vs-job-time");
  ASSERT_EQ(series.size(), 5u);
  for (const Element& s : series) {
    SCOPED_TRACE(s.attrs.at("data-run"));
    EXPECT_EQ(s.attrs.at("data-clock"), "modelled");
    const RunResult* run = nullptr;
    for (const RunResult& r : modelled.runs()) {
      if (r.config().name() == s.attrs.at("data-run")) run = &r;
    }
    ASSERT_NE(run, nullptr);
    const auto points = Points(s);
    ASSERT_EQ(points.size(), static_cast<size_t>(run->evals_size()));
    for (int i = 0; i < run->evals_size(); ++i) {
      EXPECT_EQ(points[i].first, 5 + 2 * run->evals(i).wall_seconds());
      EXPECT_EQ(points[i].second, run->evals(i).test_accuracy());
    }
  }
  EXPECT_NE(sections[0].second.find("modelled job time, download included (s)"), std::string::npos);
  for (const Element& s : SeriesOf(sections[1].second, "accuracy-vs-job-time")) {
    EXPECT_EQ(s.attrs.at("data-clock"), "wall");  // ring sweep: still none
  }
}

TEST_F(HtmlReportTest, ClaimsAndFindingsSitInTheirGroupsSection) {
  CompareResult result = result_;
  ClaimCheck* check = result.add_claims();  // group from its run's row
  check->mutable_claim()->set_measure(Claim::SPEEDUP);
  check->mutable_claim()->set_run("ps-async-4w");
  check->mutable_claim()->set_other("ps-sync-4w");
  check->set_modelled(3.75);
  check->set_measured(1.25);
  check->set_holds(true);
  check->set_summary("workshop: \"faster\" (4x); here: 3.8x modelled, 1.2x measured");
  ClaimCheck* named = result.add_claims();  // its own group
  *named = *check;
  named->mutable_claim()->set_group("ring sweep");
  named->set_holds(false);
  result.add_findings("strategies: highest final test accuracy local-1w.");
  result.add_findings("ring sweep: fastest ring-2w.");
  result.add_findings("across everything: a sentence of no group.");
  const std::string html = RenderCompareReport(result);
  const auto sections = GroupSections(html);
  ASSERT_EQ(sections.size(), 2u);
  const auto claims = Find(sections[0].second, "<li class=\"claim", "</li>");
  ASSERT_EQ(claims.size(), 1u);
  EXPECT_EQ(claims[0].attrs.at("class"), "claim holds");
  EXPECT_EQ(claims[0].attrs.at("data-measure"), "SPEEDUP");
  EXPECT_EQ(claims[0].attrs.at("data-run"), "ps-async-4w");
  EXPECT_EQ(claims[0].attrs.at("data-other"), "ps-sync-4w");
  EXPECT_EQ(std::stod(claims[0].attrs.at("data-modelled")), 3.75);
  EXPECT_EQ(std::stod(claims[0].attrs.at("data-measured")), 1.25);
  EXPECT_NE(claims[0].inner.find("workshop: &quot;faster&quot; (4x); here: 3.8x modelled"),
            std::string::npos);
  // The claims come first in their section, before the findings and the table.
  EXPECT_LT(sections[0].second.find("<ul class=\"claims\">"),
            sections[0].second.find("<div class=\"findings\">"));
  EXPECT_LT(sections[0].second.find("<div class=\"findings\">"),
            sections[0].second.find("<table class=\"results\""));
  const auto ring_claims = Find(sections[1].second, "<li class=\"claim", "</li>");
  ASSERT_EQ(ring_claims.size(), 1u);
  EXPECT_EQ(ring_claims[0].attrs.at("data-holds"), "false");
  // Findings lose their group's prefix in its section; the sentence of no group sits above.
  EXPECT_NE(sections[0].second.find("<li>Highest final test accuracy local-1w.</li>"),
            std::string::npos);
  EXPECT_EQ(sections[0].second.find("ring-2w."), std::string::npos);
  EXPECT_NE(sections[1].second.find("<li>Fastest ring-2w.</li>"), std::string::npos);
  const auto across = Find(html, "<section class=\"across\"", "</section>");
  ASSERT_EQ(across.size(), 1u);
  EXPECT_NE(across[0].inner.find("across everything: a sentence of no group."), std::string::npos);
}

TEST_F(HtmlReportTest, RowsShowFinalAndBestAccuracyAndWhyTheFinalIsLower) {
  CompareResult result = result_;
  for (CompareRow& row : *result.mutable_rows()) {
    *row.mutable_best_test_accuracy() = row.final_test_accuracy();
  }
  CompareRow& async = *result.mutable_rows(2);
  async.mutable_best_test_accuracy()->set_median(async.final_test_accuracy().median() + 0.021);
  // Its run: sharded, label-grouped objects, asynchronous; its best evaluation the fifth.
  RunResult& run = *result.mutable_runs(4);
  ASSERT_EQ(run.config().name(), "ps-async-4w");
  run.mutable_config()->mutable_data()->set_distribution(DataConfig::SHARDED_BY_KEY);
  run.mutable_config()->mutable_data()->set_grouping(DataConfig::BY_LABEL);
  run.mutable_config()->mutable_parameter_server()->set_mode(ParameterServerStrategy::ASYNC);
  run.mutable_evals(4)->set_test_accuracy(0.97);
  const std::string html = RenderCompareReport(result);
  const auto notes = Find(html, "<ul class=\"best-notes\"", "</ul>");
  ASSERT_EQ(notes.size(), 1u);
  const auto items = Find(notes[0].inner, "<li", "</li>");
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].attrs.at("data-row"), "ps-async-4w");
  EXPECT_NE(items[0].inner.find(absl::StrFormat(
                "final is 2.1 points below its best: 97.0%% at step 250 against %.1f%% at the "
                "last evaluation (step 500); the last updates were applied, on arrival, by "
                "workers that each saw only their own shard (SHARDED_BY_KEY, objects grouped "
                "by label)",
                100 * run.evals(9).test_accuracy())),
            std::string::npos)
      << items[0].inner;
  // Its best cell is marked, the others' are not; both accuracies are in every row.
  for (const Element& tr : Find(html, "<tr class=\"row\"", "</tr>")) {
    const auto best = Find(tr.inner, "<td class=\"best\"", "</td>");
    ASSERT_EQ(best.size(), 1u);
    const bool marked = best[0].inner.find("best-gap") != std::string::npos;
    EXPECT_EQ(marked, tr.attrs.at("data-row") == "ps-async-4w") << tr.attrs.at("data-row");
  }
}

TEST_F(HtmlReportTest, DataSummaryDrawsEachHostsLabelsAndSaysWhichIsIdle) {
  CompareResult result = result_;
  RunResult& run = *result.mutable_runs(4);  // ps-async-4w
  DataSummary& data = *run.mutable_data();
  data.set_distribution("SHARDED_BY_KEY");
  data.set_grouping("BY_LABEL");
  data.set_mean_object_label_entropy(0.25);
  for (int k = 0; k < 5; ++k) data.add_object_sizes(1200);
  for (int h = 0; h < 4; ++h) {
    HostData& host = *data.add_hosts();
    host.set_host(h);
    host.set_name(absl::StrCat("algo-", h + 1));
    host.set_idle(h == 3);
    if (h == 3) continue;
    host.add_objects(h);
    if (h == 0) host.add_objects(3);
    for (int label = 0; label < 10; ++label) {
      host.add_label_counts(label / 2 == h || (h == 0 && label / 2 == 3) ? 600 : 0);
    }
    host.set_examples(h == 0 ? 2400 : 1200);
  }
  const std::string html = RenderCompareReport(result);
  const auto sections = GroupSections(html);
  ASSERT_EQ(sections.size(), 2u);
  EXPECT_EQ(sections[1].second.find("data-summary"), std::string::npos);  // ring sweep: no data
  const std::string& section = sections[0].second;
  const auto cards = Find(section, "<div class=\"data-run\"", "</table>");
  ASSERT_EQ(cards.size(), 1u);
  EXPECT_EQ(cards[0].attrs.at("data-row"), "ps-async-4w");
  EXPECT_EQ(std::stod(cards[0].attrs.at("data-entropy")), 0.25);
  const auto histograms = SeriesOf(section, "label-histogram");
  ASSERT_EQ(histograms.size(), 3u);  // the idle host has none
  for (int h = 0; h < 3; ++h) {
    const HostData& host = data.hosts(h);
    EXPECT_EQ(histograms[h].attrs.at("data-host"), host.name());
    EXPECT_EQ(histograms[h].attrs.at("data-run"), "ps-async-4w");
    const std::map<std::string, double> bars = Bars(histograms[h]);
    ASSERT_EQ(bars.size(), 10u);
    for (int label = 0; label < 10; ++label) {
      EXPECT_EQ(bars.at(absl::StrCat(label)), host.label_counts(label)) << host.name() << label;
    }
  }
  const auto hosts = Find(section, "<tr data-host", "</tr>");
  ASSERT_EQ(hosts.size(), 4u);
  EXPECT_EQ(hosts[0].attrs.at("data-objects"), "2");
  EXPECT_EQ(hosts[0].attrs.at("data-examples"), "2400");
  EXPECT_EQ(hosts[3].attrs.at("data-idle"), "true");
  EXPECT_NE(hosts[3].inner.find("idle: started and billed, nothing to train on"),
            std::string::npos);
  EXPECT_NE(section.find("SHARDED_BY_KEY, 5 objects grouped by label"), std::string::npos);
}

TEST_F(HtmlReportTest, EveryChartHasTitleAxisLabelsLegendAndCaption) {
  // Both groups run at two worker counts: each has the workers charts too.
  const std::vector<std::string> ids = {
      "accuracy-vs-job-time", "accuracy-vs-time",      "job-time",
      "accuracy-vs-samples",  "throughput-vs-workers", "efficiency-vs-workers"};
  const auto sections = GroupSections(html_);
  ASSERT_EQ(sections.size(), 2u);
  for (const auto& [group, section] : sections) {
    const std::vector<Element> figures = Find(section, "<figure class=\"chart", "</figure>");
    ASSERT_EQ(figures.size(), ids.size()) << group;
    for (size_t i = 0; i < ids.size(); ++i) {
      SCOPED_TRACE(group + " " + ids[i]);
      const Element& f = figures[i];
      EXPECT_EQ(f.attrs.at("data-chart"), ids[i]);
      EXPECT_NE(f.inner.find("<h3>"), std::string::npos);
      EXPECT_GE(Find(f.inner, "<text class=\"axis-label\"", "</text>").size(), 1u);
      EXPECT_GE(Find(f.inner, "<text class=\"tick\"", "</text>").size(), 2u);
      EXPECT_GE(Find(f.inner, "<li>", "</li>").size(), 1u);
      const auto caption = Find(f.inner, "<figcaption", "</figcaption>");
      ASSERT_EQ(caption.size(), 1u);
      EXPECT_GT(caption[0].inner.size(), 60u);
    }
  }
  EXPECT_EQ(Find(html_, "<figure class=\"chart", "</figure>").size(), 2 * ids.size());
}

TEST_F(HtmlReportTest, TableHasOneRowPerCompareRowWithItsAccuracy) {
  const std::vector<Element> rows = Find(html_, "<tr class=\"row\"", "</tr>");
  ASSERT_EQ(rows.size(), static_cast<size_t>(result_.rows_size()));
  for (const CompareRow& row : result_.rows()) {
    SCOPED_TRACE(row.name());
    int found = 0;
    for (const Element& tr : rows) {
      if (tr.attrs.at("data-row") != row.name()) continue;
      ++found;
      const auto acc = Find(tr.inner, "<td class=\"accuracy\"", "</td>");
      ASSERT_EQ(acc.size(), 1u);
      const Stat& stat = row.final_test_accuracy();
      EXPECT_EQ(acc[0].inner.rfind(absl::StrCat("<span class=\"value\">",
                                                FormatPercent(stat.median(), 2), "</span>"),
                                   0),
                0u)
          << acc[0].inner;
      if (row.run_names_size() > 1) {  // repeats: the range too
        EXPECT_NE(
            acc[0].inner.find(absl::StrFormat("%.2f–%.2f%%", 100 * stat.min(), 100 * stat.max())),
            std::string::npos)
            << acc[0].inner;
      }
      if (row.reached_target() == 0) {
        EXPECT_NE(tr.inner.find("not reached"), std::string::npos);
      }
    }
    EXPECT_EQ(found, 1);
  }
  EXPECT_NE(html_.find("2 of 3 reached"), std::string::npos);
  EXPECT_NE(html_.find("2.71 / 7"), std::string::npos);  // async staleness
  // Groups as headings, the target and the scaling mode stated.
  EXPECT_NE(html_.find("<section class=\"group\" data-group=\"strategies\"><h2>strategies</h2>"),
            std::string::npos);
  EXPECT_NE(html_.find("<section class=\"group\" data-group=\"ring sweep\"><h2>ring sweep</h2>"),
            std::string::npos);
  EXPECT_NE(html_.find("Target test accuracy 90.0%"), std::string::npos);
  EXPECT_NE(html_.find("Scaling: weak"), std::string::npos);
  EXPECT_NE(html_.find("abc1234"), std::string::npos);  // provenance
}

TEST_F(HtmlReportTest, TextFromTheDataIsEscaped) {
  const std::string page = WithoutData(html_);
  EXPECT_EQ(page.find("<script>"), std::string::npos);
  EXPECT_EQ(page.find("alert(1)</script>"), std::string::npos);
  EXPECT_NE(page.find("ring-4w&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(page.find("Ring allreduce &amp; friends: &quot;reduce-scatter&quot;"),
            std::string::npos);
  // The only script element is the data.
  EXPECT_EQ(page.find("<script"), page.rfind("<script"));
}

TEST_F(HtmlReportTest, SelfContainedWithoutNetworkReferences) {
  const std::string page = WithoutData(html_);
  for (const char* banned : {"http://", "https://", "src=", "href=", "url(", "@import", "//cdn"}) {
    EXPECT_EQ(page.find(banned), std::string::npos) << banned;
  }
  EXPECT_FALSE(HasNonFinite(html_));
}

TEST(HtmlReportEdgeTest, OneRunWithoutEvalsSameWorkersZeroValuesLongName) {
  CompareResult result;
  const std::string long_name(150, 'x');
  RunResult* run = AddRun(&result, long_name, "local", 1);
  CompareRow* row = AddRow(&result, long_name, "", *run);
  row->add_run_names(long_name);
  const std::string html = RenderCompareReport(result);
  for (const char* chart :
       {"accuracy-vs-job-time", "accuracy-vs-time", "accuracy-vs-samples", "job-time"}) {
    SCOPED_TRACE(chart);
    const auto series = SeriesOf(html, chart);
    ASSERT_EQ(series.size(), 1u);
  }
  // One worker count: no workers charts.
  EXPECT_TRUE(SeriesOf(html, "throughput-vs-workers").empty());
  EXPECT_TRUE(SeriesOf(html, "efficiency-vs-workers").empty());
  EXPECT_TRUE(Points(SeriesOf(html, "accuracy-vs-time")[0]).empty());
  EXPECT_EQ(Bars(SeriesOf(html, "job-time")[0]).at("download"), 0);
  EXPECT_NE(html.find(">not modelled</text>"), std::string::npos);
  EXPECT_NE(html.find("no run was evaluated"), std::string::npos);
  EXPECT_NE(html.find("(no evaluations)"), std::string::npos);
  EXPECT_NE(html.find("not reached"), std::string::npos);
  EXPECT_NE(html.find("<section class=\"group\" data-group=\"\"><h2>Runs</h2>"),
            std::string::npos);  // no group: one section
  EXPECT_NE(html.find(absl::StrCat(std::string(21, 'x'), "…")), std::string::npos);
  EXPECT_FALSE(HasNonFinite(html));
}

TEST(HtmlReportEdgeTest, EmptyComparisonRendersAPage) {
  const std::string html = RenderCompareReport(CompareResult());
  EXPECT_NE(html.find("</html>"), std::string::npos);
  EXPECT_TRUE(SeriesOf(html, "accuracy-vs-time").empty());
  EXPECT_FALSE(HasNonFinite(html));
}

// Not a check: writes the sample page for a look in a browser (headless Chromium screenshot).
TEST(HtmlReportSampleTest, WritesSampleReport) {
  const char* dir = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  const std::filesystem::path path =
      std::filesystem::path(dir != nullptr ? dir : ::testing::TempDir()) /
      "html_report_sample.html";
  std::ofstream(path) << RenderCompareReport(SampleCompare());
  std::printf("sample report: %s\n", path.c_str());
  EXPECT_TRUE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace distsim::report
