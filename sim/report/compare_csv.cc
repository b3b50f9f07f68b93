// compare.csv (compare_table.h): one line per row of a comparison.
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "sim/report/compare_table.h"

namespace distsim::report {
namespace {

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// One line of compare.csv, in the header's order.
std::string CsvLine(const CompareRow& r) {
  const TimeSplit& t = r.time_split();
  return absl::StrJoin(
      {CsvField(r.name()),
       CsvField(r.group()),
       CsvField(r.strategy()),
       absl::StrCat(r.workers()),
       r.distribution(),
       absl::StrCat(r.run_names_size()),
       absl::StrCat(r.samples()),
       absl::StrFormat("%.6f", r.final_test_accuracy().median()),
       absl::StrFormat("%.6f", r.final_test_accuracy().min()),
       absl::StrFormat("%.6f", r.final_test_accuracy().max()),
       r.reached_target() ? absl::StrFormat("%.3f", r.time_to_target_s().median()) : std::string(),
       absl::StrCat(r.reached_target()),
       absl::StrFormat("%.1f", r.samples_per_second().median()),
       absl::StrFormat("%.3f", r.wall_seconds().median()),
       absl::StrFormat("%.4f", r.scaling_efficiency()),
       absl::StrFormat("%.4f", t.data()),
       absl::StrFormat("%.4f", t.compute()),
       absl::StrFormat("%.4f", t.communication()),
       absl::StrFormat("%.4f", t.waiting()),
       absl::StrFormat("%.4f", t.update()),
       absl::StrFormat("%.0f", r.bytes_per_worker_step()),
       absl::StrFormat("%.3f", r.staleness().mean()),
       absl::StrCat(r.staleness().max()),
       absl::StrFormat("%.4f", r.modelled_seconds().median()),
       absl::StrFormat("%.4f", r.modelled_seconds().min()),
       absl::StrFormat("%.4f", r.modelled_seconds().max()),
       absl::StrFormat("%.1f", r.modelled_samples_per_second().median()),
       absl::StrFormat("%.1f", r.modelled_samples_per_second().min()),
       absl::StrFormat("%.1f", r.modelled_samples_per_second().max()),
       absl::StrFormat("%.4f", r.modelled_step_ms()),
       absl::StrFormat("%.4f", r.modelled_scaling_efficiency()),
       CsvField(r.network()),
       CsvField(absl::StrJoin(r.faults(), "; ")),
       absl::StrCat(r.workers_lost()),
       absl::StrFormat("%.6f", r.best_test_accuracy().median()),
       CsvField(r.run_length()),
       absl::StrFormat("%.4f", r.modelled_job_seconds().median()),
       absl::StrFormat("%.4f", r.modelled_download_seconds().median()),
       absl::StrFormat("%.6f", r.modelled_cost_usd().median()),
       absl::StrFormat("%.6f", r.modelled_idle_cost_usd().median())},
      ",");
}

}  // namespace

std::string FormatCompareCsv(const CompareResult& result) {
  std::string out =
      "run,group,strategy,workers,distribution,repeats,samples,test_accuracy_median,"
      "test_accuracy_min,test_accuracy_max,time_to_target_s_median,reached_target,"
      "samples_per_second_median,wall_seconds_median,scaling_efficiency,data_share,"
      "compute_share,communication_share,waiting_share,update_share,bytes_per_worker_step,"
      "staleness_mean,staleness_max,modelled_seconds_median,modelled_seconds_min,"
      "modelled_seconds_max,modelled_samples_per_second_median,modelled_samples_per_second_min,"
      "modelled_samples_per_second_max,modelled_step_ms,modelled_scaling_efficiency,network,"
      "faults,workers_lost,best_test_accuracy_median,run_length,modelled_job_seconds_median,"
      "modelled_download_seconds_median,modelled_cost_usd_median,modelled_idle_cost_usd_median\n";
  for (const CompareRow& r : result.rows()) absl::StrAppend(&out, CsvLine(r), "\n");
  return out;
}

}  // namespace distsim::report
