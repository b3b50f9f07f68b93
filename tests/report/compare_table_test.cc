// The comparison as text: the short strategy names of the table and a row's network.
#include "sim/report/compare_table.h"

#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sim/report/row_facts.h"
#include "sim/report/strategy_names.h"
#include "tests/report/made_runs.h"

namespace distsim::report {
namespace {

TEST(CompareTableTest, ShortStrategyAndNetwork) {
  EXPECT_EQ(ShortStrategy("parameter_server SYNC, 1 server (DEDICATED), 4 workers"), "ps SYNC");
  EXPECT_EQ(ShortStrategy("parameter_server SSP s=2, 1 server (DEDICATED), 4 workers"),
            "ps SSP s=2");
  EXPECT_EQ(ShortStrategy("parameter_server ASYNC, 2 servers (DEDICATED), 5 workers"),
            "ps ASYNC k=2");
  EXPECT_EQ(ShortStrategy("parameter_server ASYNC, 2 servers (COLOCATED), 2 workers"),
            "ps ASYNC coloc");
  EXPECT_EQ(ShortStrategy("allreduce RING, 4 workers"), "ring");
  EXPECT_EQ(ShortStrategy("local"), "local");
  EXPECT_EQ(ShortStrategy(""), "local");

  RunResult run = testing::MadeRun("ps", 4, false, 1, true, 1, 1, 1);
  NetworkConfig* net = run.mutable_config()->mutable_cluster()->mutable_network();
  net->set_jitter_us(20);
  net->set_loss(0.001);
  EXPECT_EQ(DescribeNetwork(run), "1 Gbit/s, 50 us, jitter 20 us, loss 0.1%, shaped");
}

Stat Three(double median, double min, double max) {
  Stat s;
  s.set_median(median), s.set_min(min), s.set_max(max);
  return s;
}

// The workshop's two modules as rows: the length of each run, the modelled job and its cost
// beside the modelled training, the best accuracy where it beats the final, the claims after
// the table; every line within 160 columns.
TEST(CompareTableTest, LengthJobCostBestAccuracyAndClaimsWithin160Columns) {
  CompareResult result;
  result.mutable_config()->set_repeats(1);
  result.mutable_config()->set_target_accuracy(0.99);
  auto add = [&](const std::string& name, const std::string& group, uint32_t workers, int repeats,
                 bool global_steps, double job, double cost, double idle, double final_acc,
                 double best_acc) {
    RunResult run = testing::MadeRun(name + "_r1", workers, false, 1, false, job * 0.8, 900, 40);
    if (global_steps) {
      run.mutable_config()->mutable_train()->set_global_steps(1000);
    } else {
      run.mutable_config()->mutable_train()->set_epochs(2);
    }
    CompareRow* row = result.add_rows();
    row->set_name(name);
    row->set_group(group);
    row->set_workers(workers);
    row->set_strategy(run.strategy());
    row->set_distribution("FULLY_REPLICATED");
    for (int r = 0; r < repeats; ++r) row->add_run_names(absl::StrCat(name, "_r", r + 1));
    *row->mutable_final_test_accuracy() = Three(final_acc, final_acc - 0.01, final_acc + 0.005);
    *row->mutable_best_test_accuracy() = Three(best_acc, best_acc, best_acc);
    *row->mutable_samples_per_second() = Three(950, 900, 1000);
    *row->mutable_modelled_seconds() = Three(job * 0.8, job * 0.8, job * 0.8);
    *row->mutable_modelled_samples_per_second() = Three(900, 900, 900);
    row->set_modelled_step_ms(40);
    *row->mutable_modelled_job_seconds() = Three(job, job * 0.98, job * 1.01);
    *row->mutable_modelled_cost_usd() = Three(cost, cost, cost);
    *row->mutable_modelled_idle_cost_usd() = Three(idle, idle, idle);
    *result.add_runs() = std::move(run);
  };
  const std::string m1 = "1. SageMaker TF job: 2 hosts vs 1";
  const std::string m2 = "2. Data distribution: SHARDED_BY_KEY vs FULLY_REPLICATED";
  add("tf_job_1_host", m1, 1, 1, false, 640, 0.0496, 0, 0.991, 0.992);
  add("tf_job_2_hosts", m1, 2, 1, true, 812, 0.1258, 0.0123, 0.975, 0.988);
  add("m2_sharded", m2, 5, 3, false, 52.25, 0.0203, 0, 0.884, 0.886);
  add("m2_replicated", m2, 5, 3, false, 203, 0.0787, 0, 0.892, 0.893);
  result.mutable_rows(2)->set_distribution("SHARDED_BY_KEY");
  ClaimCheck* check = result.add_claims();
  check->set_holds(true);
  check->set_summary("workshop: \"trained almost 4 times as fast\" (4x); here: 3.9x modelled");

  const std::string table = FormatCompareTable(result);
  SCOPED_TRACE(table);
  std::istringstream lines(table);
  std::string header, line;
  std::getline(lines, header);
  std::getline(lines, line);
  for (const char* column : {"length", "job s", "cost $", "train s", "best"}) {
    EXPECT_NE((header + "\n" + line).find(column), std::string::npos) << column;
  }
  std::istringstream all(table);
  for (std::string l; std::getline(all, l);) EXPECT_LE(l.size(), 160u) << l;
  // Each run's length from its config; the modelled job and cost; best only where it is 0.5
  // points or more above the final (tf_job_2_hosts: 98.80 against 97.50).
  for (const char* needle :
       {"1000 global steps", "2 epochs/worker", " 812 ", "0.126", "0.050",
        "idle hosts: tf_job_2_hosts paid $0.0123 of its $0.1258 for hosts with nothing to do\n",
        " 52.2 ", " 98.80 ", "best acc: the best evaluation's",
        "job s: download + training + upload"}) {
    EXPECT_NE(table.find(needle), std::string::npos) << needle;
  }
  EXPECT_EQ(table.find("99.20"), std::string::npos);  // tf_job_1_host: best 0.1 above final
  // To fit, the table keeps the accuracy's [min-max] and leaves out the others'.
  EXPECT_NE(table.find("88.40 [87.40-88.90]"), std::string::npos);
  EXPECT_EQ(table.find("[51.2-52.8]"), std::string::npos);
  EXPECT_EQ(table.find("[900-1000]"), std::string::npos);
  // The claims come after the table's footnotes.
  const size_t claims = table.find("claims, checked here");
  ASSERT_NE(claims, std::string::npos);
  EXPECT_GT(claims, table.find("job s: download"));
  EXPECT_NE(table.find("  holds     workshop: \"trained almost 4 times as fast\" (4x); here: 3.9x "
                       "modelled\n"),
            std::string::npos);
}

}  // namespace
}  // namespace distsim::report
