// `distsim compare` end to end on synthetic data, as real processes: the table, compare.json,
// the transport's byte counts against the strategies' arithmetic, and a report.html whose charts
// draw exactly the runs of compare.json.
#include "sim/app/compare.h"

#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "sim/config/compare.h"
#include "sim/data/synthetic.h"
#include "sim/report/compare_table.h"
#include "tests/testing/read_all.h"

namespace distsim::app {
namespace {

namespace fs = std::filesystem;

using testing::ReadAll;

// The (x, y) points of the series of `chart` whose `attribute` is `value`, from report.html.
std::vector<std::pair<double, double>> Points(const std::string& html, const std::string& chart,
                                              const std::string& attribute,
                                              const std::string& value) {
  const std::string open =
      "<g class=\"series\" data-chart=\"" + chart + "\" " + attribute + "=\"" + value + "\"";
  std::vector<std::pair<double, double>> out;
  size_t at = html.find(open);
  if (at == std::string::npos) return out;
  const size_t end = html.find("</g>", at);
  const std::string series = html.substr(at, end - at);
  std::regex point("data-x=\"([^\"]+)\" data-y=\"([^\"]+)\"");
  for (auto it = std::sregex_iterator(series.begin(), series.end(), point);
       it != std::sregex_iterator(); ++it) {
    out.emplace_back(std::stod((*it)[1]), std::stod((*it)[2]));
  }
  return out;
}

int Count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST(CompareTest, RunsTheEntriesAndReportsWhatTheyDid) {
  const fs::path dir = fs::temp_directory_path() / ("distsim_compare_" + std::to_string(getpid()));
  fs::create_directories(dir);
  data::SyntheticSpec spec;
  spec.train_size = 1200;
  spec.test_size = 300;
  ASSERT_TRUE(data::WriteSyntheticIdx((dir / "data").string(), spec).ok());
  const std::string path = (dir / "compare.textproto").string();
  std::ofstream(path) << R"(
name: "small"
repeats: 2
target_accuracy: 0.5
base {
  seed: 3
  model { mlp { hidden: 16 } }
  data { dataset: IDX dir: "data" }
  optimizer { sgd { learning_rate: 0.1 } }
  train { batch_size: 16 steps: 30 eval_every_steps: 10 }
}
runs { name: "alone" group: "g1" overrides { local {} } }
runs { name: "ps" group: "g1" overrides { workers: 2 parameter_server { mode: ASYNC } } }
runs { name: "ring" group: "g2" baseline: "alone"
       overrides { workers: 3 data { distribution: GLOBAL_BATCH_SLICE } allreduce { segment_bytes: 4096 } } }
claims { source: "a talk" text: "two workers are faster" measure: SPEEDUP run: "ps" other: "alone"
         value: 2 }
claims { group: "g1" measure: ACCURACY_GAP run: "ps" other: "alone" }
)";
  CompareConfig config;
  auto entries = config::LoadCompare(path, &config);
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 3u);

  CompareOptions options;
  options.out_dir = (dir / "out" / "small").string();
  options.data_dir = [&](const RunConfig&) { return (dir / "data").string(); };
  options.executable = DISTSIM_BINARY;
  absl::StatusOr<CompareResult> result = RunCompare(config, *entries, options);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->runs_size(), 6);  // 3 entries x 2 repeats
  ASSERT_EQ(result->rows_size(), 3);

  // compare.json is the result.
  CompareResult back;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(
                  ReadAll(fs::path(options.out_dir) / "compare.json"), &back)
                  .ok());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(back, *result));

  // Rows: medians over the repeats, and bytes from the transport counters.
  const int64_t params = result->runs(0).parameter_count();
  const double model_bytes = 4.0 * static_cast<double>(params);
  for (int i = 0; i < result->rows_size(); ++i) {
    const CompareRow& row = result->rows(i);
    ASSERT_EQ(row.run_names_size(), 2) << row.name();
    const double a = result->runs(2 * i).final_test_accuracy();
    const double b = result->runs(2 * i + 1).final_test_accuracy();
    EXPECT_EQ(row.run_names(0), result->runs(2 * i).config().name());
    EXPECT_DOUBLE_EQ(row.final_test_accuracy().median(), (a + b) / 2);
    EXPECT_DOUBLE_EQ(row.final_test_accuracy().min(), std::min(a, b));
    EXPECT_DOUBLE_EQ(row.final_test_accuracy().max(), std::max(a, b));
  }
  const CompareRow& ps = result->rows(1);
  EXPECT_NEAR(ps.bytes_per_worker_step(), 2 * model_bytes, 0.01 * 2 * model_bytes);
  const CompareRow& ring = result->rows(2);
  const double ring_bytes = 2 * 2.0 * (3 - 1) / 3 * model_bytes;  // sent + received
  EXPECT_NEAR(ring.bytes_per_worker_step(), ring_bytes, 2 * 4096 + 0.01 * ring_bytes);
  EXPECT_EQ(result->rows(0).bytes_per_worker_step(), 0);
  // Weak scaling against "alone": samples/s per worker over alone's.
  const double alone = result->rows(0).samples_per_second().median();
  EXPECT_NEAR(ring.scaling_efficiency(), ring.samples_per_second().median() / 3 / alone, 1e-9);

  // The table names every run, with its median accuracy.
  const std::string table = report::FormatCompareTable(*result);
  for (const CompareRow& row : result->rows()) {
    EXPECT_NE(table.find(row.name()), std::string::npos);
    char accuracy[32];
    std::snprintf(accuracy, sizeof(accuracy), "%.2f", 100 * row.final_test_accuracy().median());
    EXPECT_NE(table.find(accuracy), std::string::npos) << table;
  }
  EXPECT_EQ(Count(ReadAll(fs::path(options.out_dir) / "compare.csv"), "\n"), 4);

  // report.html embeds compare.json and draws every run with its own values.
  const std::string html = ReadAll(fs::path(options.out_dir) / "report.html");
  EXPECT_NE(html.find("id=\"compare-data\""), std::string::npos);
  for (const RunResult& run : result->runs()) {
    const std::string name = run.config().name();
    auto by_time = Points(html, "accuracy-vs-time", "data-run", name);
    auto by_samples = Points(html, "accuracy-vs-samples", "data-run", name);
    ASSERT_EQ(by_time.size(), static_cast<size_t>(run.evals_size())) << name;
    ASSERT_EQ(by_samples.size(), static_cast<size_t>(run.evals_size())) << name;
    for (int i = 0; i < run.evals_size(); ++i) {
      EXPECT_DOUBLE_EQ(by_time[i].first, run.evals(i).wall_seconds());
      EXPECT_DOUBLE_EQ(by_time[i].second, run.evals(i).test_accuracy());
      EXPECT_DOUBLE_EQ(by_samples[i].first, static_cast<double>(run.evals(i).samples()));
    }
    // Each run wrote its own results and a Chrome trace.
    for (const char* file : {"result.json", "steps.csv", "trace.json"}) {
      EXPECT_TRUE(fs::exists(fs::path(options.out_dir) / name / file)) << name << " " << file;
    }
  }
  EXPECT_EQ(Count(html, "data-chart=\"job-time\" data-row="), 3);
  // The findings are in the result, the report (in their group's section, without the group's
  // prefix) and name the group's runs.
  ASSERT_GE(result->findings_size(), 2);
  EXPECT_NE(result->findings(0).find("g1: highest final test accuracy"), std::string::npos);
  EXPECT_NE(html.find("What the numbers show"), std::string::npos);
  ASSERT_EQ(result->findings(1).rfind("g1: ", 0), 0u);
  std::string second = result->findings(1).substr(4);
  second[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(second[0])));
  EXPECT_NE(html.find(second), std::string::npos);
  EXPECT_LT(html.find("data-group=\"g1\""), html.find(second));
  EXPECT_LT(html.find(second), html.find("data-group=\"g2\""));

  // The claims, checked on the runs: the medians of the two repeats' modelled jobs and wall
  // times, and of their final accuracies, worked out here from the runs themselves.
  ASSERT_EQ(result->claims_size(), 2);
  auto median2 = [&](int row, auto value) {
    return (value(result->runs(2 * row)) + value(result->runs(2 * row + 1))) / 2;
  };
  const double alone_job =
      median2(0, [](const RunResult& r) { return r.modelled().job_seconds(); });
  const double ps_job = median2(1, [](const RunResult& r) { return r.modelled().job_seconds(); });
  const double alone_wall = median2(0, [](const RunResult& r) { return r.wall_seconds(); });
  const double ps_wall = median2(1, [](const RunResult& r) { return r.wall_seconds(); });
  EXPECT_GT(ps_job, 0);
  EXPECT_DOUBLE_EQ(result->claims(0).modelled(), alone_job / ps_job);
  EXPECT_DOUBLE_EQ(result->claims(0).measured(), alone_wall / ps_wall);
  EXPECT_EQ(result->claims(0).holds(), alone_job > ps_job);
  const double gap = 100 * (median2(0, [](const RunResult& r) { return r.final_test_accuracy(); }) -
                            median2(1, [](const RunResult& r) { return r.final_test_accuracy(); }));
  EXPECT_NEAR(result->claims(1).modelled(), gap, 1e-9);
  EXPECT_NE(result->claims(0).summary().find("a talk: \"two workers are faster\" (2x); here: "),
            std::string::npos)
      << result->claims(0).summary();
  EXPECT_NE(table.find("claims, checked here"), std::string::npos);
  EXPECT_EQ(Count(html, "<li class=\"claim "), 2);
  EXPECT_LT(html.find("<li class=\"claim "), html.find("data-group=\"g2\""));
  // Every run has a modelled clock (the default cluster: this machine's CPU time, 10 Gbit/s,
  // 50 us); the rows carry it, and the report draws it beside the measured throughput.
  for (int i = 0; i < result->rows_size(); ++i) {
    const CompareRow& row = result->rows(i);
    SCOPED_TRACE(row.name());
    const double a = result->runs(2 * i).modelled().samples_per_second();
    const double b = result->runs(2 * i + 1).modelled().samples_per_second();
    EXPECT_GT(a, 0);
    EXPECT_DOUBLE_EQ(row.modelled_samples_per_second().median(), (a + b) / 2);
    EXPECT_DOUBLE_EQ(row.modelled_step_ms(), result->runs(2 * i).modelled().step_ms_mean());
    EXPECT_GT(row.modelled_scaling_efficiency(), 0);
  }
  EXPECT_EQ(result->rows(0).network(), "");
  EXPECT_EQ(result->rows(2).network(), "10 Gbit/s, 50 us, modelled");
  EXPECT_NE(table.find("model"), std::string::npos);

  // distsim report: rows, claims and findings recomputed from the runs alone are the ones the
  // comparison computed, and the report is written again.
  fs::remove(fs::path(options.out_dir) / "report.html");
  std::string out_dir;
  absl::StatusOr<CompareResult> again = ReportCompare(options.out_dir, &out_dir);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(out_dir, options.out_dir);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*again, *result));
  EXPECT_TRUE(fs::exists(fs::path(options.out_dir) / "report.html"));
  EXPECT_EQ(ReportCompare((dir / "nowhere").string(), &out_dir).status().code(),
            absl::StatusCode::kNotFound);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace distsim::app
