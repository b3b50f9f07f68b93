// predict.html: the drawn points and table cells are the PredictResult's numbers.
#include "sim/report/predict_report.h"

#include <string>

#include "gtest/gtest.h"

namespace distsim::report {
namespace {

PredictRow Row(const std::string& strategy, uint32_t workers, double efficiency, double rate) {
  PredictRow r;
  r.set_strategy(strategy);
  r.set_workers(workers);
  r.set_efficiency(efficiency);
  r.set_samples_per_second(rate);
  r.set_step_s(0.01);
  return r;
}

int Count(const std::string& haystack, const std::string& needle) {
  int n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

TEST(PredictReport, DrawsEachStrategyAndShowsTheChecks) {
  PredictResult result;
  result.set_name("pred</script>");
  for (uint32_t n : {1u, 2u, 4u}) {
    *result.add_rows() = Row("ring", n, 1.0 / n, 100.0 * n);
    *result.add_rows() = Row("ps SYNC", n, 0.5 / n, 50.0 * n);
  }
  PredictCheck* check = result.add_checks();
  check->set_name("4_workers");
  check->set_setup("4 workers instead of 2");
  check->set_predicted_step_ms(132.5);
  check->set_measured_step_ms(100);
  check->set_error(0.325);
  result.set_repeat(3);
  check->add_repeats();
  check->add_repeats();
  check->add_repeats();
  check->set_spread(0.36);
  check->set_too_busy("its repeats' step times spread 36.0%");
  result.mutable_calibration()->mutable_load()->set_load1(1.25);
  result.mutable_calibration()->mutable_load()->set_cores(2);
  const std::string html = RenderPredictReport(result);

  // One series per strategy in each chart, three points each, at log2(workers).
  EXPECT_EQ(Count(html, "<g class=\"series\" data-chart=\"efficiency-vs-workers\""), 2);
  EXPECT_EQ(Count(html, "<g class=\"series\" data-chart=\"throughput-vs-workers\""), 2);
  EXPECT_NE(html.find("data-x=\"2\" data-y=\"0.25\""), std::string::npos) << "ring, 4 workers";
  EXPECT_NE(html.find("data-x=\"1\" data-y=\"100\""), std::string::npos) << "ps SYNC, 2 workers";
  // The check, with its error flagged beyond 15%.
  EXPECT_NE(html.find("data-check=\"4_workers\" data-predicted-ms=\"132.5\" "
                      "data-measured-ms=\"100\""),
            std::string::npos);
  EXPECT_NE(html.find("<td class=\"missed\">+32.5%</td>"), std::string::npos);
  // Its repeats' spread, the too_busy mark with its reason, and the load it ran under.
  EXPECT_NE(html.find("data-measured-ms=\"100\" data-too-busy=\"true\""), std::string::npos);
  EXPECT_NE(html.find("<td>36.0%</td><td class=\"text\">its repeats&#39; step times spread 36.0%"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("Each ran 3 times"), std::string::npos);
  EXPECT_NE(html.find("Load when the calibration ran: 1.25 "), std::string::npos);
  // The name is escaped, and the embedded JSON cannot close its script element.
  EXPECT_NE(html.find("pred&lt;/script&gt;"), std::string::npos);
  const size_t data = html.find("id=\"predict-data\">");
  ASSERT_NE(data, std::string::npos);
  EXPECT_EQ(html.find("</script>", data), html.rfind("</script>"));
  EXPECT_NE(html.find("\"name\": \"pred", data), std::string::npos) << "predict.json is embedded";
}

}  // namespace
}  // namespace distsim::report
