// The findings of a comparison in words, on hand-made rows and runs: the data-distribution
// lesson on the wall clock, and the modelled clock's fastest run, bandwidth series and
// stragglers.
#include "sim/report/compare_findings.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/report/made_runs.h"

namespace distsim::report {
namespace {

using testing::Has;
using testing::Joined;
using testing::MadeRun;

// The data-distribution lesson in words: which distribution learned better at equal samples and
// at equal wall time, computed from the rows and the runs' evaluations.
TEST(CompareFindingsTest, SaysWhichDistributionLearnedBetterAtEqualSamplesAndTime) {
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
  EXPECT_TRUE(
      has("at equal samples (1000), FULLY_REPLICATED (replicated) learned better than "
          "SHARDED_BY_KEY (sharded): 96.0% against 75.0%"));
  // Equal wall time is the shorter run's, 2.5 s: the last evaluations by then, 75% and 90%.
  EXPECT_TRUE(has("at equal wall time (2.5 s), sharded had 75.0% and replicated 90.0%"));

  // When sharding does not learn worse, the words say so.
  r.mutable_rows(0)->mutable_final_test_accuracy()->set_median(0.958);
  f = Findings(r);
  EXPECT_TRUE(has("learned about equally well here"));
}

// The Stat of one repeat.
Stat One(double value) {
  Stat s;
  s.set_median(value);
  s.set_min(value);
  s.set_max(value);
  return s;
}

// The row `distsim compare` makes of a single run in `group` (what the findings read of it).
CompareRow RowOf(const RunResult& run, const std::string& group) {
  CompareRow row;
  row.set_name(run.config().name());
  row.set_group(group);
  row.set_workers(std::max<uint32_t>(1, run.config().workers()));
  row.set_distribution(DataConfig::Distribution_Name(run.config().data().distribution()));
  row.add_run_names(run.config().name());
  row.set_strategy(run.strategy().empty() ? "local" : run.strategy());
  row.set_samples(run.samples());
  *row.mutable_final_test_accuracy() = One(run.final_test_accuracy());
  *row.mutable_modelled_samples_per_second() = One(run.modelled().samples_per_second());
  *row.mutable_modelled_seconds() = One(run.modelled().seconds());
  row.set_modelled_step_ms(run.modelled().step_ms_mean());
  *row.mutable_modelled_job_seconds() = One(run.modelled().job_seconds());
  *row.mutable_modelled_download_seconds() = One(run.modelled().download_seconds());
  *row.mutable_staleness() = run.staleness();
  for (const std::string& fault : run.faults()) row.add_faults(fault);
  return row;
}

TEST(CompareFindingsTest, ModelledClockFastestBandwidthAndStraggler) {
  CompareResult result;
  result.mutable_config()->set_repeats(1);
  auto add = [&](RunResult run, const std::string& group) {
    *result.add_rows() = RowOf(run, group);
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
      RunResult run = MadeRun(name, 4, ring, 10, false, 1, slow ? sps / 4 : sps, slow ? 33.6 : 8.4);
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
  for (CompareRow& row : *result.mutable_rows()) {
    row.mutable_samples_per_second()->set_median(row.name() == "ps_1g" ? 9000 : 1000);
  }
  const std::vector<std::string> f = Findings(result);
  SCOPED_TRACE(Joined(f));
  EXPECT_TRUE(Has(f,
                  "bandwidth: on the modelled cluster, fastest ring_25g at 25000 samples/s "
                  "(1.00 ms per step), 138.9x the slowest (ps_0.1g, 140 ms per step); on the "
                  "wall clock here ps_1g was fastest."));
  EXPECT_TRUE(Has(f,
                  "bandwidth: modelled step time as the bandwidth falls: "
                  "ps SYNC: 1.25 ms at 25 Gbit/s -> 15.0 ms at 1 Gbit/s -> 140 ms at 0.1 Gbit/s "
                  "(112.0x); ring: 1.00 ms at 25 Gbit/s -> 4.00 ms at 1 Gbit/s -> 27.5 ms at "
                  "0.1 Gbit/s (27.5x)."));
  EXPECT_FALSE(Has(f, "ring_big_0.1g:"));
  EXPECT_TRUE(Has(f, "1. straggler: on the modelled cluster, fastest ring_slow at 4000 samples/s"));
  EXPECT_TRUE(Has(f,
                  "1. straggler: with worker 3: 4x slower, each strategy keeps this share of "
                  "its modelled throughput without it: ps SYNC 25% (sync_slow: 15000 -> 3750 "
                  "samples/s, 8.40 ms -> 33.6 ms per step); ring 25% (ring_slow: 16000 -> 4000 "
                  "samples/s, 8.40 ms -> 33.6 ms per step)."));
  EXPECT_TRUE(Has(f,
                  "3. even: on the modelled cluster, the runs are within 5% of each other "
                  "(10000 to 10300 samples/s)."));
  // No bandwidth sentence where the bandwidth does not vary.
  EXPECT_FALSE(Has(f, "1. straggler: modelled step time as the bandwidth falls"));
}

// A run on `hosts` simulated hosts of ml.c4.xlarge (1 Gbit/s) with a modelled job of `job_s`.
RunResult JobRun(const std::string& name, uint32_t hosts, double job_s, double step_ms,
                 double communication_share) {
  RunResult run = MadeRun(name, hosts, false, 1, false, job_s * 0.9, 1000, step_ms);
  ModelledClock& m = *run.mutable_modelled();
  m.set_instance_type("ml.c4.xlarge");
  m.set_hosts(hosts);
  m.set_job_seconds(job_s);
  m.set_download_seconds(job_s * 0.05);
  m.set_communication_share(communication_share);
  m.set_compute_share(1 - communication_share);
  return run;
}

TEST(CompareFindingsTest, SaysWhetherMoreHostsBeatOneOnTheModelledJobAndWhy) {
  CompareResult result;
  auto add = [&](RunResult run, const std::string& group) {
    *result.add_rows() = RowOf(run, group);
    *result.add_runs() = std::move(run);
  };
  const std::string tf = "1. SageMaker TF job: 2 hosts vs 1";
  add(JobRun("tf_1_host", 1, 640, 30, 0), tf);
  // Two colocated hosts: each worker sends and receives 13.1 MB a step (500 steps each).
  RunResult two = JobRun("tf_2_hosts", 2, 812, 66.1, 0.62);
  two.set_strategy("parameter_server ASYNC, 2 servers (COLOCATED), 2 workers");
  for (int w = 0; w < 2; ++w) {
    WorkerStats& stats = *two.add_worker_stats();
    stats.set_steps(500);
    stats.set_bytes_sent(500 * 13'100'000ull);
    stats.set_bytes_received(500 * 13'100'000ull);
  }
  add(two, tf);
  // Another model on 2 hosts is not compared with the one host.
  RunResult other = JobRun("mlp_2_hosts", 2, 100, 5, 0.1);
  other.mutable_config()->mutable_model()->mutable_mlp()->add_hidden(64);
  add(other, tf);
  // A group where several hosts win: one sentence for the one host against both.
  add(JobRun("alone", 1, 100, 10, 0), "3. several");
  add(JobRun("four", 4, 40, 12, 0.25), "3. several");
  add(JobRun("eight", 8, 120, 40, 0.8), "3. several");
  const std::vector<std::string> f = Findings(result);
  SCOPED_TRACE(Joined(f));
  EXPECT_TRUE(Has(f,
                  "1. SageMaker TF job: 2 hosts did not beat 1 on ml.c4.xlarge: tf_2_hosts took "
                  "812 s of modelled job time against 640 s for tf_1_host (1.3x as long); why: "
                  "communication is 62% of its modelled step (41.0 ms of 66.1 ms); each worker "
                  "step moves 13.1 MB out and 13.1 MB in, at least 105 ms at the instance's "
                  "1 Gbit/s (less: the part for the shard on its own host stays on the host)."));
  EXPECT_FALSE(Has(f, "mlp_2_hosts took"));
  EXPECT_TRUE(Has(f,
                  "3. several: against 1 host (alone, 100 s of modelled job time on "
                  "ml.c4.xlarge): four on 4 hosts 40.0 s (2.5x as fast; communication is 25% of "
                  "its modelled step (3.00 ms of 12.0 ms)); eight on 8 hosts 120 s (1.2x as long; "
                  "communication is 80% of its modelled step (32.0 ms of 40.0 ms))."));
}

// Under TensorFlow's shared global step the sentence says who made the updates on the modelled
// clock, and the bills when both rows have one.
TEST(CompareFindingsTest, SharedGlobalStepsSayWhoMadeTheUpdatesAndTheBills) {
  CompareResult result;
  auto add = [&](RunResult run, double cost) {
    CompareRow row = RowOf(run, "m1");
    row.mutable_modelled_cost_usd()->set_median(cost);
    *result.add_rows() = std::move(row);
    *result.add_runs() = std::move(run);
  };
  add(JobRun("one", 1, 100, 90, 0), 0.0078);
  RunResult two = JobRun("two", 2, 85, 106, 0.34);
  two.mutable_config()->mutable_train()->set_global_steps(1000);
  const uint64_t steps[] = {709, 291};
  for (int w = 0; w < 2; ++w) {
    WorkerStats& stats = *two.add_worker_stats();
    stats.set_rank(w);
    stats.set_steps(500);
    stats.set_modelled_steps(steps[w]);
    stats.set_modelled_seconds(w == 0 ? 70.9 : 87.3);  // 100 ms and 300 ms a step
  }
  add(two, 0.013);
  const std::vector<std::string> f = Findings(result);
  SCOPED_TRACE(Joined(f));
  EXPECT_TRUE(Has(f,
                  "m1: 2 hosts beat 1 on ml.c4.xlarge: two took 85.0 s of modelled job time "
                  "against 100 s for one (1.2x as fast), for $0.013 against $0.0078; "
                  "communication is 34% of its modelled step (36.0 ms of 106 ms); of the 1000 "
                  "updates worker 0 made 709 (100 ms a step) and worker 1 291 (300 ms a step)."));
}

TEST(CompareFindingsTest, DataDistributionPairGetsItsJobSpeedupAndAccuracyGapAtEqualEpochs) {
  CompareResult result;
  const std::string group = "2. Data distribution: sharded vs replicated";
  auto add = [&](const std::string& name, DataConfig::Distribution distribution, double job_s,
                 double download_s, double accuracy) {
    RunResult run = JobRun(name + "_r1", 5, job_s, 10, 0.2);
    run.mutable_config()->mutable_data()->set_distribution(distribution);
    run.mutable_config()->mutable_train()->set_epochs(2);
    run.mutable_modelled()->set_download_seconds(download_s);
    run.set_final_test_accuracy(accuracy);
    CompareRow row = RowOf(run, group);
    row.set_name(name);
    row.add_run_names(name + "_r2");
    row.add_run_names(name + "_r3");
    *result.add_rows() = row;
    *result.add_runs() = std::move(run);
  };
  add("m2_sharded", DataConfig::SHARDED_BY_KEY, 52, 4.1, 0.904);
  add("m2_replicated", DataConfig::FULLY_REPLICATED, 203, 150, 0.912);
  std::vector<std::string> f = Findings(result);
  SCOPED_TRACE(Joined(f));
  EXPECT_TRUE(Has(f,
                  "2. Data distribution: on the modelled job time (download + training + "
                  "upload), SHARDED_BY_KEY (m2_sharded) took 52.0 s against 203 s for "
                  "FULLY_REPLICATED (m2_replicated), 3.9x as fast, of which 4.1 s and 150 s "
                  "downloading; at equal epochs (2 per worker), FULLY_REPLICATED's final test "
                  "accuracy is 0.8 points higher (91.2% against 90.4%); medians of 3 repeats "
                  "each."));
  // Runs that differ in more than the distribution are no pair.
  result.mutable_runs(1)->mutable_config()->mutable_train()->set_batch_size(32);
  f = Findings(result);
  EXPECT_FALSE(Has(f, "on the modelled job time"));
}

}  // namespace
}  // namespace distsim::report
