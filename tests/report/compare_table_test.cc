// The comparison as text: the short strategy names of the table and a row's network.
#include "sim/report/compare_table.h"

#include "gtest/gtest.h"
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

}  // namespace
}  // namespace distsim::report
