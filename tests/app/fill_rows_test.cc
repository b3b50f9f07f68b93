// The rows of a comparison from its runs (FillRows), on hand-made runs: medians and spreads
// over the repeats, the modelled clock, the scaling efficiency against each row's baseline, the
// network and the faults; and the table and CSV of those rows.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sim/app/compare.h"
#include "sim/config/compare.h"
#include "sim/report/compare_table.h"
#include "tests/report/made_runs.h"

namespace distsim::app {
namespace {

using testing::MadeRun;

config::CompareEntry EntryOf(const RunResult& run, const std::string& group, int repeats = 3) {
  config::CompareEntry e;
  e.name = run.config().name();
  e.group = group;
  e.config = run.config();
  e.repeats = repeats;
  return e;
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
    RunResult run =
        MadeRun(absl::StrCat("ps_r", r + 1), 4, false, 0.1, true, ps_s[r], ps_sps[r], 20.0 + r);
    run.mutable_config()->mutable_cluster()->add_faults()->set_slowdown(4);
    run.add_faults("worker 3: 4x slower");
    run.add_workers_lost(2);
    if (r == 0) entries.push_back(EntryOf(run, "g"));
    *result.add_runs() = run;
  }
  entries.back().name = "ps";
  for (int r = 0; r < 3; ++r) {
    RunResult run = MadeRun(absl::StrCat("ring_r", r + 1), 8, true, 25, false, r == 1 ? 0 : 1.0 + r,
                            r == 1 ? 0 : 40000.0 + r, 1.5);
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
  const std::string table = report::FormatCompareTable(result);
  for (const char* needle : {"model", "samples/s", "ms/step", "12000 [11000-12500]", " 20.0 ",
                             "faults a: worker 3: 4x slower", "a lost 1", "ps SYNC", "ring",
                             "networks: 0.1 Gbit/s, 50 us, shaped; 25 Gbit/s, 50 us, modelled"}) {
    EXPECT_NE(table.find(needle), std::string::npos) << needle << "\n" << table;
  }
  const std::string csv = report::FormatCompareCsv(result);
  EXPECT_NE(csv.find("modelled_seconds_median,modelled_seconds_min,modelled_seconds_max,"
                     "modelled_samples_per_second_median,modelled_samples_per_second_min,"
                     "modelled_samples_per_second_max,modelled_step_ms,"
                     "modelled_scaling_efficiency,network,faults,workers_lost,"
                     "best_test_accuracy_median,run_length,modelled_job_seconds_median,"
                     "modelled_download_seconds_median,modelled_cost_usd_median,"
                     "modelled_idle_cost_usd_median\n"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find("3.5000,3.4000,3.8000,12000.0,11000.0,12500.0,20.0000,0.1429,"
                     "\"0.1 Gbit/s, 50 us, shaped\",worker 3: 4x slower,1,0.000000,,0.0000,"
                     "0.0000,0.000000,0.000000\n"),
            std::string::npos)
      << csv;
}

TEST(FillRowsTest, EntriesWithTheirOwnRepeatsTakeTheirOwnRunsAndTheJobFigures) {
  // "a" runs twice, "b" once, "c" three times: 6 runs in that order.
  CompareResult result;
  std::vector<config::CompareEntry> entries;
  const struct {
    const char* name;
    int repeats;
  } plan[] = {{"a", 2}, {"b", 1}, {"c", 3}};
  double job = 1.0;
  for (const auto& p : plan) {
    for (int r = 0; r < p.repeats; ++r) {
      RunResult run = MadeRun(absl::StrCat(p.name, "_r", r + 1), 5, false, 1, false, 0.5, 1000, 2);
      run.mutable_modelled()->set_job_seconds(job);
      run.mutable_modelled()->set_download_seconds(job / 10);
      run.mutable_modelled()->set_cost_usd(job / 100);
      run.mutable_modelled()->set_idle_cost_usd(job / 1000);
      run.set_final_test_accuracy(0.5);
      run.add_evals()->set_test_accuracy(0.5 + job / 100);  // an earlier, better evaluation
      job += 1.0;
      if (r == 0) entries.push_back(EntryOf(run, "g", p.repeats));
      *result.add_runs() = run;
    }
    entries.back().name = p.name;
  }
  FillRows(entries, &result);
  ASSERT_EQ(result.rows_size(), 3);
  // a: jobs 1, 2; b: 3; c: 4, 5, 6.
  EXPECT_EQ(result.rows(0).run_names_size(), 2);
  EXPECT_EQ(result.rows(1).run_names(0), "b_r1");
  EXPECT_EQ(result.rows(2).run_names_size(), 3);
  EXPECT_DOUBLE_EQ(result.rows(0).modelled_job_seconds().median(), 1.5);
  EXPECT_DOUBLE_EQ(result.rows(1).modelled_job_seconds().median(), 3.0);
  EXPECT_DOUBLE_EQ(result.rows(2).modelled_job_seconds().median(), 5.0);
  EXPECT_DOUBLE_EQ(result.rows(2).modelled_job_seconds().min(), 4.0);
  EXPECT_DOUBLE_EQ(result.rows(2).modelled_download_seconds().median(), 0.5);
  EXPECT_DOUBLE_EQ(result.rows(2).modelled_cost_usd().max(), 0.06);
  EXPECT_DOUBLE_EQ(result.rows(2).modelled_idle_cost_usd().median(), 0.005);
  EXPECT_DOUBLE_EQ(result.rows(1).best_test_accuracy().median(), 0.53);
  EXPECT_DOUBLE_EQ(result.rows(1).final_test_accuracy().median(), 0.5);
}

}  // namespace
}  // namespace distsim::app
