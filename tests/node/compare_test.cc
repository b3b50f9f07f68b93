// `distsim compare` end to end on synthetic data, as real processes: the table, compare.json,
// the transport's byte counts against the strategies' arithmetic, and a report.html whose charts
// draw exactly the runs of compare.json.
#include "sim/node/compare.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "sim/config/compare.h"
#include "sim/data/synthetic.h"
#include "sim/report/compare_charts.h"
#include "tests/node/process_util.h"

namespace distsim::node {
namespace {

namespace fs = std::filesystem;

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The (x, y) points of the series of `chart` whose `attribute` is `value`, from report.html.
std::vector<std::pair<double, double>> Points(const std::string& html, const std::string& chart,
                                              const std::string& attribute,
                                              const std::string& value) {
  const std::string open = "<g class=\"series\" data-chart=\"" + chart + "\" " + attribute +
                           "=\"" + value + "\"";
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
  const std::string table = FormatCompareTable(*result);
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
  EXPECT_EQ(Count(html, "data-chart=\"time-split\" data-row="), 3);
  // The findings are in the result, the report and name the group's runs.
  ASSERT_GE(result->findings_size(), 2);
  EXPECT_NE(result->findings(0).find("g1: highest final test accuracy"), std::string::npos);
  EXPECT_NE(html.find("What the numbers show"), std::string::npos);
  EXPECT_NE(html.find(result->findings(1)), std::string::npos);
  EXPECT_EQ(Count(html, "data-chart=\"bytes-per-step\" data-row="), 3);
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
  EXPECT_EQ(Count(html, "data-chart=\"modelled-throughput\" data-row="), 6);
  EXPECT_EQ(Count(html, "data-chart=\"modelled-step-time\" data-row="), 3);
  EXPECT_NE(table.find("model"), std::string::npos);
  fs::remove_all(dir);
}

// The data-distribution lesson in words: which distribution learned better at equal samples and
// at equal wall time, computed from the rows and the runs' evaluations.
TEST(FindingsTest, SaysWhichDistributionLearnedBetterAtEqualSamplesAndTime) {
  CompareResult r;
  r.mutable_config()->set_repeats(1);
  r.mutable_config()->set_target_accuracy(0.9);
  auto add = [&](const std::string& name, const std::string& distribution, double final_acc,
                 double sps, std::vector<std::pair<double, double>> evals, double wall) {
    CompareRow* row = r.add_rows();
    row->set_name(name);
    row->set_group("data");
    row->set_strategy("parameter_server ASYNC, 1 server (DEDICATED), 5 workers");
    row->set_workers(5);
    row->set_distribution(distribution);
    row->set_samples(1000);
    row->add_run_names(name);
    row->mutable_final_test_accuracy()->set_median(final_acc);
    row->mutable_samples_per_second()->set_median(sps);
    RunResult* run = r.add_runs();
    run->mutable_config()->set_name(name);
    run->set_wall_seconds(wall);
    for (auto [t, a] : evals) {
      EvalPoint* e = run->add_evals();
      e->set_wall_seconds(t);
      e->set_test_accuracy(a);
    }
  };
  add("sharded", "SHARDED_BY_KEY", 0.75, 100, {{1, 0.6}, {2, 0.75}}, 2.5);
  add("replicated", "FULLY_REPLICATED", 0.96, 50, {{1, 0.8}, {2, 0.9}, {4, 0.96}}, 4.5);
  std::vector<std::string> f = Findings(r);
  auto has = [&](const std::string& needle) {
    for (const std::string& s : f) {
      if (s.find(needle) != std::string::npos) return true;
    }
    return false;
  };
  EXPECT_TRUE(has("data: highest final test accuracy replicated (96.0%), lowest sharded (75.0%)"));
  EXPECT_TRUE(has("fastest sharded at 100 samples/s, 2.0x the slowest (replicated)"));
  EXPECT_TRUE(has("at equal samples (1000), FULLY_REPLICATED (replicated) learned better than "
                  "SHARDED_BY_KEY (sharded): 96.0% against 75.0%"));
  // Equal wall time is the shorter run's, 2.5 s: the last evaluations by then, 75% and 90%.
  EXPECT_TRUE(has("at equal wall time (2.5 s), sharded had 75.0% and replicated 90.0%"));

  // When sharding does not learn worse, the words say so.
  r.mutable_rows(0)->mutable_final_test_accuracy()->set_median(0.958);
  f = Findings(r);
  EXPECT_TRUE(has("learned about equally well here"));
}

// ---------------------------------------------------------------------------------------------
// The modelled clock in the rows, the table, the CSV and the findings, on hand-made runs.

// A run of `workers` workers: ps SYNC (1 server) or ring, or local when workers == 1.
RunResult MadeRun(const std::string& name, uint32_t workers, bool ring, double bandwidth_gbps,
                  bool shape, double modelled_s, double modelled_sps, double step_ms) {
  RunResult run;
  RunConfig& c = *run.mutable_config();
  c.set_name(name);
  c.set_seed(1);
  c.set_workers(workers);
  c.mutable_train()->set_batch_size(64);
  c.mutable_cluster()->set_instance_type("ml.c5.xlarge");
  c.mutable_cluster()->set_clock(ClusterConfig::FLOPS);
  c.mutable_cluster()->mutable_network()->set_bandwidth_gbps(bandwidth_gbps);
  c.mutable_cluster()->mutable_network()->set_latency_us(50);
  c.mutable_cluster()->mutable_network()->set_shape(shape);
  if (workers == 1) {
    c.mutable_local();
    run.set_strategy("local");
  } else if (ring) {
    c.mutable_allreduce();
    run.set_strategy(absl::StrCat("allreduce RING, ", workers, " workers"));
  } else {
    c.mutable_parameter_server()->set_mode(ParameterServerStrategy::SYNC);
    run.set_strategy(
        absl::StrCat("parameter_server SYNC, 1 server (DEDICATED), ", workers, " workers"));
  }
  run.set_workers(workers);
  run.set_wall_seconds(10);
  run.set_samples_per_second(1000.0 * workers);
  ModelledClock& m = *run.mutable_modelled();
  m.set_instance_type("ml.c5.xlarge");
  m.set_clock_mode("FLOPS");
  m.set_bandwidth_gbps(bandwidth_gbps);
  m.set_latency_us(50);
  m.set_seconds(modelled_s);
  m.set_samples_per_second(modelled_sps);
  m.set_step_ms_mean(step_ms);
  return run;
}

config::CompareEntry EntryOf(const RunResult& run, const std::string& group) {
  config::CompareEntry e;
  e.name = run.config().name();
  e.group = group;
  e.config = run.config();
  return e;
}

bool Has(const std::vector<std::string>& findings, const std::string& needle) {
  for (const std::string& f : findings) {
    if (f.find(needle) != std::string::npos) return true;
  }
  return false;
}

std::string Joined(const std::vector<std::string>& findings) {
  std::string out;
  for (const std::string& f : findings) out += f + "\n";
  return out;
}

TEST(FillRowsTest, ModelledStatsEfficiencyNetworkAndFaults) {
  CompareResult result;
  result.mutable_config()->set_repeats(3);
  result.mutable_config()->set_baseline("local");
  // local: 3 repeats; ps: 3 repeats, a straggler, one worker lost; ring: no modelled clock in its
  // second repeat (left out of its Stats, not counted as 0).
  const double local_sps[] = {5000, 5200, 4900}, local_s[] = {2.0, 1.9, 2.1};
  const double ps_sps[] = {12000, 11000, 12500}, ps_s[] = {3.5, 3.8, 3.4};
  std::vector<config::CompareEntry> entries;
  for (int r = 0; r < 3; ++r) {
    RunResult run = MadeRun(absl::StrCat("local_r", r + 1), 1, false, 10, false, local_s[r],
                            local_sps[r], 8.0 + r);
    if (r == 0) entries.push_back(EntryOf(run, "g"));
    *result.add_runs() = run;
  }
  entries.back().name = "local";
  for (int r = 0; r < 3; ++r) {
    RunResult run = MadeRun(absl::StrCat("ps_r", r + 1), 4, false, 0.1, true, ps_s[r], ps_sps[r],
                            20.0 + r);
    run.mutable_config()->mutable_cluster()->add_faults()->set_slowdown(4);
    run.add_faults("worker 3: 4x slower");
    run.add_workers_lost(2);
    if (r == 0) entries.push_back(EntryOf(run, "g"));
    *result.add_runs() = run;
  }
  entries.back().name = "ps";
  for (int r = 0; r < 3; ++r) {
    RunResult run = MadeRun(absl::StrCat("ring_r", r + 1), 8, true, 25, false,
                            r == 1 ? 0 : 1.0 + r, r == 1 ? 0 : 40000.0 + r, 1.5);
    if (r == 1) run.clear_modelled();
    if (r == 0) entries.push_back(EntryOf(run, "g"));
    *result.add_runs() = run;
  }
  entries.back().name = "ring";
  entries.back().baseline = "ps";  // its own baseline

  FillRows(entries, &result);
  ASSERT_EQ(result.rows_size(), 3);
  const CompareRow& local = result.rows(0);
  const CompareRow& ps = result.rows(1);
  const CompareRow& ring = result.rows(2);
  EXPECT_DOUBLE_EQ(local.modelled_samples_per_second().median(), 5000);
  EXPECT_DOUBLE_EQ(local.modelled_samples_per_second().min(), 4900);
  EXPECT_DOUBLE_EQ(local.modelled_samples_per_second().max(), 5200);
  EXPECT_DOUBLE_EQ(local.modelled_seconds().median(), 2.0);
  EXPECT_DOUBLE_EQ(local.modelled_step_ms(), 8.0);  // the first repeat's
  EXPECT_DOUBLE_EQ(ps.modelled_samples_per_second().median(), 12000);
  EXPECT_DOUBLE_EQ(ps.modelled_seconds().min(), 3.4);
  EXPECT_DOUBLE_EQ(ps.modelled_seconds().max(), 3.8);
  EXPECT_DOUBLE_EQ(ps.modelled_step_ms(), 20.0);
  // Ring: the median of the two repeats that have a modelled clock.
  EXPECT_DOUBLE_EQ(ring.modelled_samples_per_second().median(), (40000.0 + 40002.0) / 2);
  EXPECT_DOUBLE_EQ(ring.modelled_samples_per_second().min(), 40000);
  EXPECT_DOUBLE_EQ(ring.modelled_seconds().median(), (1.0 + 3.0) / 2);

  // WEAK: modelled samples/s per worker over the baseline's.
  EXPECT_DOUBLE_EQ(local.modelled_scaling_efficiency(), 1.0);
  EXPECT_DOUBLE_EQ(ps.modelled_scaling_efficiency(), (12000.0 / 4) / (5000.0 / 1));
  EXPECT_DOUBLE_EQ(ring.modelled_scaling_efficiency(), (40001.0 / 8) / (12000.0 / 4));
  EXPECT_EQ(ring.baseline(), "ps");

  EXPECT_EQ(local.network(), "");  // one process: no network
  EXPECT_EQ(ps.network(), "0.1 Gbit/s, 50 us, shaped");
  EXPECT_EQ(ring.network(), "25 Gbit/s, 50 us, modelled");
  ASSERT_EQ(ps.faults_size(), 1);
  EXPECT_EQ(ps.faults(0), "worker 3: 4x slower");
  EXPECT_EQ(ps.workers_lost(), 1u);
  EXPECT_EQ(local.faults_size(), 0);

  // STRONG: T(baseline) x n(baseline) / (n x T), on the modelled seconds.
  result.mutable_config()->set_scaling(CompareConfig::STRONG);
  FillRows(entries, &result);
  EXPECT_DOUBLE_EQ(result.rows(1).modelled_scaling_efficiency(), (2.0 * 1) / (4 * 3.5));
  EXPECT_DOUBLE_EQ(result.rows(2).modelled_scaling_efficiency(), (3.5 * 4) / (8 * 2.0));

  // The table has the modelled columns and names the fault; the CSV has every field.
  const std::string table = FormatCompareTable(result);
  for (const char* needle : {"model", "samples/s", "ms/step", "12000 [11000-12500]", " 20.0 ",
                             "faults a: worker 3: 4x slower", "a lost 1", "ps SYNC", "ring",
                             "networks: 0.1 Gbit/s, 50 us, shaped; 25 Gbit/s, 50 us, modelled"}) {
    EXPECT_NE(table.find(needle), std::string::npos) << needle << "\n" << table;
  }
  const std::string csv = FormatCompareCsv(result);
  EXPECT_NE(csv.find("modelled_seconds_median,modelled_seconds_min,modelled_seconds_max,"
                     "modelled_samples_per_second_median,modelled_samples_per_second_min,"
                     "modelled_samples_per_second_max,modelled_step_ms,"
                     "modelled_scaling_efficiency,network,faults,workers_lost\n"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find("3.5000,3.4000,3.8000,12000.0,11000.0,12500.0,20.0000,0.1429,"
                     "\"0.1 Gbit/s, 50 us, shaped\",worker 3: 4x slower,1\n"),
            std::string::npos)
      << csv;
}

TEST(CompareTableTest, ShortStrategyAndNetwork) {
  EXPECT_EQ(report::ShortStrategy("parameter_server SYNC, 1 server (DEDICATED), 4 workers"),
            "ps SYNC");
  EXPECT_EQ(report::ShortStrategy("parameter_server SSP s=2, 1 server (DEDICATED), 4 workers"),
            "ps SSP s=2");
  EXPECT_EQ(report::ShortStrategy("parameter_server ASYNC, 2 servers (DEDICATED), 5 workers"),
            "ps ASYNC k=2");
  EXPECT_EQ(report::ShortStrategy("parameter_server ASYNC, 2 servers (COLOCATED), 2 workers"),
            "ps ASYNC coloc");
  EXPECT_EQ(report::ShortStrategy("allreduce RING, 4 workers"), "ring");
  EXPECT_EQ(report::ShortStrategy("local"), "local");
  EXPECT_EQ(report::ShortStrategy(""), "local");

  RunResult run = MadeRun("ps", 4, false, 1, true, 1, 1, 1);
  NetworkConfig* net = run.mutable_config()->mutable_cluster()->mutable_network();
  net->set_jitter_us(20);
  net->set_loss(0.001);
  EXPECT_EQ(DescribeNetwork(run), "1 Gbit/s, 50 us, jitter 20 us, loss 0.1%, shaped");
}

TEST(FindingsTest, ModelledClockFastestBandwidthAndStraggler) {
  CompareResult result;
  result.mutable_config()->set_repeats(1);
  std::vector<config::CompareEntry> entries;
  auto add = [&](RunResult run, const std::string& group) {
    entries.push_back(EntryOf(run, group));
    *result.add_runs() = std::move(run);
  };
  // The bandwidth group: ps and ring at 25, 1 and 0.1 Gbit/s. Step times as a model would have
  // them: ps grows faster.
  add(MadeRun("ps_25g", 4, false, 25, true, 0.5, 20000, 1.25), "bandwidth: falling");
  add(MadeRun("ring_25g", 4, true, 25, true, 0.4, 25000, 1.0), "bandwidth: falling");
  add(MadeRun("ps_1g", 4, false, 1, true, 6, 1700, 15), "bandwidth: falling");
  add(MadeRun("ring_1g", 4, true, 1, true, 1.6, 6250, 4), "bandwidth: falling");
  add(MadeRun("ps_0.1g", 4, false, 0.1, true, 56, 180, 140), "bandwidth: falling");
  add(MadeRun("ring_0.1g", 4, true, 0.1, true, 11, 900, 27.5), "bandwidth: falling");
  // A ring with another model is not part of the ring's series.
  RunResult other = MadeRun("ring_big_0.1g", 4, true, 0.1, true, 30, 300, 80);
  other.mutable_config()->mutable_model()->mutable_mlp()->add_hidden(1024);
  add(other, "bandwidth: falling");
  // The straggler group, and the same runs without the straggler in another group.
  for (bool slow : {true, false}) {
    for (bool ring : {false, true}) {
      const std::string name = absl::StrCat(ring ? "ring" : "sync", slow ? "_slow" : "");
      const double sps = ring ? 16000 : 15000;
      RunResult run = MadeRun(name, 4, ring, 10, false, 1, slow ? sps / 4 : sps,
                              slow ? 33.6 : 8.4);
      if (slow) {
        FaultConfig* f = run.mutable_config()->mutable_cluster()->add_faults();
        f->set_worker(3);
        f->set_slowdown(4);
        run.add_faults("worker 3: 4x slower");
      }
      add(run, slow ? "1. straggler: worker 3" : "2. reference");
    }
  }
  // Two runs about as fast on the modelled cluster.
  add(MadeRun("even_a", 4, false, 10, false, 1, 10000, 8), "3. even");
  add(MadeRun("even_b", 4, true, 10, false, 1, 10300, 8), "3. even");
  FillRows(entries, &result);
  for (CompareRow& row : *result.mutable_rows()) {
    row.mutable_samples_per_second()->set_median(row.name() == "ps_1g" ? 9000 : 1000);
  }
  const std::vector<std::string> f = Findings(result);
  SCOPED_TRACE(Joined(f));
  EXPECT_TRUE(Has(f, "bandwidth: on the modelled cluster, fastest ring_25g at 25000 samples/s "
                     "(1.00 ms per step), 138.9x the slowest (ps_0.1g, 140 ms per step); on the "
                     "wall clock here ps_1g was fastest."));
  EXPECT_TRUE(Has(f, "bandwidth: modelled step time as the bandwidth falls: "
                     "ps SYNC: 1.25 ms at 25 Gbit/s -> 15.0 ms at 1 Gbit/s -> 140 ms at 0.1 Gbit/s "
                     "(112.0x); ring: 1.00 ms at 25 Gbit/s -> 4.00 ms at 1 Gbit/s -> 27.5 ms at "
                     "0.1 Gbit/s (27.5x)."));
  EXPECT_FALSE(Has(f, "ring_big_0.1g:"));
  EXPECT_TRUE(Has(f, "1. straggler: on the modelled cluster, fastest ring_slow at 4000 samples/s"));
  EXPECT_TRUE(Has(f, "1. straggler: with worker 3: 4x slower, each strategy keeps this share of "
                     "its modelled throughput without it: ps SYNC 25% (sync_slow: 15000 -> 3750 "
                     "samples/s, 8.40 ms -> 33.6 ms per step); ring 25% (ring_slow: 16000 -> 4000 "
                     "samples/s, 8.40 ms -> 33.6 ms per step)."));
  EXPECT_TRUE(Has(f, "3. even: on the modelled cluster, the runs are within 5% of each other "
                     "(10000 to 10300 samples/s)."));
  // No bandwidth sentence where the bandwidth does not vary.
  EXPECT_FALSE(Has(f, "1. straggler: modelled step time as the bandwidth falls"));
}

}  // namespace
}  // namespace distsim::node
