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
  *row.mutable_staleness() = run.staleness();
  for (const std::string& fault : run.faults()) row.add_faults(fault);
  return row;
}

TEST(FindingsTest, ModelledClockFastestBandwidthAndStraggler) {
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

}  // namespace
}  // namespace distsim::report
