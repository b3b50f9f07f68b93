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
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "sim/report/svg_chart.h"

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
  SetModelled(row, async, 10.125, 25000, 10.24, 0.8138, 0.82, 0.18, 0,
              "0.1 Gbit/s, 50 us, shaped");
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

std::string Unescape(std::string s) {
  return absl::StrReplaceAll(
      s, {{"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}, {"&amp;", "&"}});
}

// The attributes of the tag starting at `tag` (unescaped values).
std::map<std::string, std::string> Attributes(const std::string& tag) {
  static const std::regex kAttr("([a-zA-Z-]+)=\"([^\"]*)\"");
  std::map<std::string, std::string> out;
  for (auto it = std::sregex_iterator(tag.begin(), tag.end(), kAttr); it != std::sregex_iterator();
       ++it) {
    out[(*it)[1]] = Unescape((*it)[2]);
  }
  return out;
}

struct Element {
  std::map<std::string, std::string> attrs;
  std::string inner;
};

// Every element opened by `opening` (e.g. "<circle class=\"point\"") within `text`; its inner
// text runs to the first `closing` after it.
std::vector<Element> Find(const std::string& text, const std::string& opening,
                          const std::string& closing) {
  std::vector<Element> out;
  for (size_t at = text.find(opening); at != std::string::npos; at = text.find(opening, at + 1)) {
    const size_t tag_end = text.find('>', at);
    const size_t end = text.find(closing, tag_end);
    out.push_back({Attributes(text.substr(at, tag_end - at)),
                   text.substr(tag_end + 1, end == std::string::npos ? 0 : end - tag_end - 1)});
  }
  return out;
}

std::vector<Element> SeriesOf(const std::string& html, const std::string& chart) {
  std::vector<Element> out;
  for (Element& e : Find(html, "<g class=\"series\"", "</g>")) {
    if (e.attrs["data-chart"] == chart) out.push_back(std::move(e));
  }
  return out;
}

std::vector<std::pair<double, double>> Points(const Element& series) {
  std::vector<std::pair<double, double>> out;
  for (Element& c : Find(series.inner, "<circle class=\"point\"", "</circle>")) {
    out.emplace_back(std::strtod(c.attrs["data-x"].c_str(), nullptr),
                     std::strtod(c.attrs["data-y"].c_str(), nullptr));
  }
  return out;
}

std::map<std::string, double> Bars(const Element& series) {
  std::map<std::string, double> out;
  for (Element& r : Find(series.inner, "<rect class=\"bar\"", "</rect>")) {
    out[r.attrs["data-part"]] = std::strtod(r.attrs["data-value"].c_str(), nullptr);
  }
  return out;
}

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

TEST_F(HtmlReportTest, TimeSplitHasOneBarPerRowWithItsShares) {
  const std::vector<Element> series = SeriesOf(html_, "time-split");
  ASSERT_EQ(series.size(), static_cast<size_t>(result_.rows_size()));
  for (int i = 0; i < result_.rows_size(); ++i) {
    const CompareRow& row = result_.rows(i);
    EXPECT_EQ(series[i].attrs.at("data-row"), row.name());
    const std::map<std::string, double> bars = Bars(series[i]);
    ASSERT_EQ(bars.size(), 5u);
    EXPECT_EQ(bars.at("compute"), row.time_split().compute());
    EXPECT_EQ(bars.at("communication"), row.time_split().communication());
    EXPECT_EQ(bars.at("waiting"), row.time_split().waiting());
    EXPECT_EQ(bars.at("data"), row.time_split().data());
    EXPECT_EQ(bars.at("update"), row.time_split().update());
  }
}

TEST_F(HtmlReportTest, BytesPerStepHasOneBarPerRowInHumanUnits) {
  const std::vector<Element> series = SeriesOf(html_, "bytes-per-step");
  ASSERT_EQ(series.size(), static_cast<size_t>(result_.rows_size()));
  for (int i = 0; i < result_.rows_size(); ++i) {
    EXPECT_EQ(series[i].attrs.at("data-row"), result_.rows(i).name());
    EXPECT_EQ(Bars(series[i]).at("bytes"), result_.rows(i).bytes_per_worker_step());
  }
  EXPECT_NE(html_.find(">814 kB</text>"), std::string::npos);            // 8 x 101770 B
  EXPECT_NE(html_.find("per worker per step (MB)"), std::string::npos);  // the axis unit
}

TEST_F(HtmlReportTest, ModelledStepTimeHasOneBarPerRowSplitByTheModelledShares) {
  const std::vector<Element> series = SeriesOf(html_, "modelled-step-time");
  ASSERT_EQ(series.size(), static_cast<size_t>(result_.rows_size()));
  // The first runs of the rows, in row order (ps-sync-4w: its first repeat).
  const std::vector<int> first_run = {0, 1, 4, 5, 6};
  for (int i = 0; i < result_.rows_size(); ++i) {
    const CompareRow& row = result_.rows(i);
    SCOPED_TRACE(row.name());
    EXPECT_EQ(series[i].attrs.at("data-row"), row.name());
    const ModelledClock& m = result_.runs(first_run[i]).modelled();
    const std::map<std::string, double> bars = Bars(series[i]);
    ASSERT_EQ(bars.size(), 3u);
    EXPECT_DOUBLE_EQ(bars.at("compute"), row.modelled_step_ms() * m.compute_share());
    EXPECT_DOUBLE_EQ(bars.at("communication"), row.modelled_step_ms() * m.communication_share());
    EXPECT_DOUBLE_EQ(bars.at("waiting"), row.modelled_step_ms() * m.waiting_share());
  }
  EXPECT_NE(html_.find(">26.7 ms</text>"), std::string::npos);  // ps-sync-4w's step
  EXPECT_NE(html_.find(">not modelled</text>"), std::string::npos);  // the last ring row
  EXPECT_NE(html_.find("1 row without a modelled clock is marked"), std::string::npos);
}

TEST_F(HtmlReportTest, ModelledThroughputHasAMeasuredAndAModelledBarPerRow) {
  const std::vector<Element> series = SeriesOf(html_, "modelled-throughput");
  ASSERT_EQ(series.size(), 2u * result_.rows_size());
  for (int i = 0; i < result_.rows_size(); ++i) {
    const CompareRow& row = result_.rows(i);
    SCOPED_TRACE(row.name());
    const Element& measured = series[2 * i];
    const Element& modelled = series[2 * i + 1];
    EXPECT_EQ(measured.attrs.at("data-row"), row.name());
    EXPECT_EQ(measured.attrs.at("data-clock"), "measured");
    EXPECT_EQ(modelled.attrs.at("data-row"), row.name());
    EXPECT_EQ(modelled.attrs.at("data-clock"), "modelled");
    EXPECT_EQ(Bars(measured).at("measured"), row.samples_per_second().median());
    EXPECT_EQ(Bars(modelled).at("modelled"), row.modelled_samples_per_second().median());
  }
}

TEST_F(HtmlReportTest, TableHasTheModelledClockNetworkAndFaults) {
  const std::vector<Element> rows = Find(html_, "<tr class=\"row\"", "</tr>");
  ASSERT_EQ(rows.size(), static_cast<size_t>(result_.rows_size()));
  for (const char* column : {"modelled time", "modelled samples/s", "modelled step",
                             "modelled efficiency", "network, faults"}) {
    EXPECT_NE(html_.find(absl::StrCat("<th>", column, "</th>")), std::string::npos) << column;
  }
  // ps-sync-4w: the modelled time over its repeats, its step, efficiency, network and fault.
  const std::string& sync = rows[1].inner;
  EXPECT_NE(sync.find("<td class=\"modelled\"><span class=\"value\">40.25 s</span>"
                      "<span class=\"spread\">39.50–41.00 s</span>"),
            std::string::npos)
      << sync;
  EXPECT_NE(sync.find("<td>26.7 ms</td>"), std::string::npos) << sync;
  EXPECT_NE(sync.find("<td>31%</td>"), std::string::npos) << sync;
  EXPECT_NE(sync.find("10 Gbit/s, 50 us, modelled<div class=\"desc fault\">worker 3: 4x slower"),
            std::string::npos)
      << sync;
  EXPECT_NE(rows[2].inner.find("0.1 Gbit/s, 50 us, shaped"), std::string::npos);
  EXPECT_NE(rows[2].inner.find("1 worker lost"), std::string::npos);
  EXPECT_NE(rows[2].inner.find(absl::StrCat("<td><span class=\"value\">", FormatRate(25000),
                                            "</span></td><td>10.2 ms</td><td>81%</td>")),
            std::string::npos)
      << rows[2].inner;
  // The last ring row has no modelled clock: dashes, not zeros.
  EXPECT_NE(rows[4].inner.find("<td class=\"modelled\">–</td><td>–</td><td>–</td><td>–</td>"),
            std::string::npos)
      << rows[4].inner;
  EXPECT_NE(html_.find("<b>Modelled clock</b> (one ml.c5.xlarge per host, FLOPS clock)"),
            std::string::npos);
}

TEST_F(HtmlReportTest, EveryChartHasTitleAxisLabelsLegendAndCaption) {
  const std::vector<Element> figures = Find(html_, "<figure class=\"chart", "</figure>");
  ASSERT_EQ(figures.size(), 8u);
  const std::vector<std::string> ids = {
      "accuracy-vs-time",   "accuracy-vs-samples", "throughput-vs-workers",
      "efficiency-vs-workers", "time-split",       "modelled-step-time",
      "bytes-per-step",     "modelled-throughput"};
  for (size_t i = 0; i < ids.size(); ++i) {
    SCOPED_TRACE(ids[i]);
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
  EXPECT_NE(html_.find("<tr class=\"group\"><th colspan=\"17\">strategies</th>"),
            std::string::npos);
  EXPECT_NE(html_.find("<tr class=\"group\"><th colspan=\"17\">ring sweep</th>"),
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
  for (const char* chart : {"accuracy-vs-time", "accuracy-vs-samples", "throughput-vs-workers",
                            "efficiency-vs-workers", "time-split", "modelled-step-time",
                            "bytes-per-step"}) {
    SCOPED_TRACE(chart);
    const auto series = SeriesOf(html, chart);
    ASSERT_EQ(series.size(), 1u);
  }
  EXPECT_EQ(SeriesOf(html, "modelled-throughput").size(), 2u);  // measured and modelled
  EXPECT_TRUE(Points(SeriesOf(html, "accuracy-vs-time")[0]).empty());
  const auto throughput = Points(SeriesOf(html, "throughput-vs-workers")[0]);
  ASSERT_EQ(throughput.size(), 1u);
  EXPECT_EQ(throughput[0], std::make_pair(1.0, 0.0));
  EXPECT_NE(html.find("no run was evaluated"), std::string::npos);
  EXPECT_NE(html.find("(no evaluations)"), std::string::npos);
  EXPECT_NE(html.find("not reached"), std::string::npos);
  EXPECT_EQ(html.find("<tr class=\"group\""), std::string::npos);  // no group, no heading
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
