// The helpers under report.html: nice ticks, exact numbers, units, escaping, strategy families.
#include "sim/report/svg_chart.h"

#include <cstdlib>

#include "gtest/gtest.h"
#include "sim/report/strategy_names.h"

namespace distsim::report {
namespace {

TEST(StrategyFamilyTest, DropsTheWorkerCount) {
  EXPECT_EQ(StrategyFamily("local"), "local");
  EXPECT_EQ(StrategyFamily("allreduce RING, 4 workers"), "allreduce RING");
  EXPECT_EQ(StrategyFamily("allreduce RING, 1 worker"), "allreduce RING");
  EXPECT_EQ(StrategyFamily("parameter_server SSP s=2, 1 server (DEDICATED), 8 workers"),
            "parameter_server SSP s=2, 1 server (DEDICATED)");
  EXPECT_EQ(StrategyFamily("parameter_server ASYNC, 2 servers (COLOCATED), 2 workers"),
            "parameter_server ASYNC, servers (COLOCATED)");
}

TEST(SvgChartTest, NiceTicksAndNumbers) {
  Ticks t = NiceTicks(0, 0.97, 6, false);
  EXPECT_DOUBLE_EQ(t.lo, 0);
  EXPECT_DOUBLE_EQ(t.hi, 1);
  EXPECT_DOUBLE_EQ(t.step, 0.2);
  t = NiceTicks(4, 4, 6, true);  // every worker count equal: the axis still has a length
  EXPECT_LT(t.lo, 4);
  EXPECT_GT(t.hi, 4);
  EXPECT_GE(t.step, 1);
  for (double v : {0.1, 0.9731, 1.0 / 3, 12.5, 1e-7, 123456789.0, 2133.3333333333335}) {
    EXPECT_EQ(std::strtod(FormatNumber(v).c_str(), nullptr), v) << FormatNumber(v);
  }
  EXPECT_EQ(FormatNumber(96000), "96000");
  EXPECT_EQ(FormatBytes(814160), "814 kB");
  EXPECT_EQ(FormatBytes(0), "0 B");
  EXPECT_EQ(FormatBytes(1234567), "1.23 MB");
  EXPECT_EQ(EscapeHtml("<a href='x'>&\"</a>"), "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;");
}

}  // namespace
}  // namespace distsim::report
