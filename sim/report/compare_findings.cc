#include "sim/report/compare_findings.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "sim/report/chance.h"
#include "sim/report/job_findings.h"
#include "sim/report/modelled_findings.h"
#include "sim/report/row_facts.h"

namespace distsim::report {
namespace {

using Rows = std::vector<const CompareRow*>;

// Test accuracy of `run` at `seconds`: its last evaluation at or before then.
std::optional<double> AccuracyAt(const RunResult& run, double seconds) {
  std::optional<double> out;
  for (const EvalPoint& e : run.evals()) {
    if (e.wall_seconds() <= seconds + 1e-9) out = e.test_accuracy();
  }
  return out;
}

// The highest and lowest final test accuracy of the group, and how far apart they are.
std::string AccuracyFinding(const CompareResult& result, const Rows& rows,
                            const std::string& prefix) {
  const bool single = result.config().repeats() <= 1;
  auto by_accuracy = rows;
  std::sort(by_accuracy.begin(), by_accuracy.end(), [](const CompareRow* a, const CompareRow* b) {
    return a->final_test_accuracy().median() > b->final_test_accuracy().median();
  });
  const double gap = by_accuracy.front()->final_test_accuracy().median() -
                     by_accuracy.back()->final_test_accuracy().median();
  return absl::StrCat(
      prefix, "highest final test accuracy ", by_accuracy.front()->name(), " (",
      Pct(by_accuracy.front()->final_test_accuracy().median()), "), lowest ",
      by_accuracy.back()->name(), " (", Pct(by_accuracy.back()->final_test_accuracy().median()),
      "), ", absl::StrFormat("%.1f", 100 * gap), " points apart",
      single && gap < 0.01 ? "; one run each, so a gap this small may be noise (use repeats)" : "",
      ".");
}

// The fastest row of the group on the wall clock here, against the slowest.
std::string SpeedFinding(const Rows& rows, const std::string& prefix) {
  auto by_speed = rows;
  std::sort(by_speed.begin(), by_speed.end(), [](const CompareRow* a, const CompareRow* b) {
    return a->samples_per_second().median() > b->samples_per_second().median();
  });
  const double slowest = by_speed.back()->samples_per_second().median();
  return absl::StrCat(
      prefix, "fastest ", by_speed.front()->name(), " at ",
      absl::StrFormat("%.0f", by_speed.front()->samples_per_second().median()), " samples/s",
      slowest > 0 ? absl::StrFormat(", %.1fx the slowest (%s)",
                                    by_speed.front()->samples_per_second().median() / slowest,
                                    by_speed.back()->name())
                  : std::string(),
      ".");
}

// The first row of the group to reach the target accuracy and those that never did; nothing
// when none did.
void TargetFinding(const CompareResult& result, const Rows& rows, const std::string& prefix,
                   std::vector<std::string>* out) {
  std::vector<std::string> missed;
  const CompareRow* first = nullptr;
  for (const CompareRow* r : rows) {
    if (r->reached_target() == 0) {
      missed.push_back(r->name());
    } else if (first == nullptr ||
               r->time_to_target_s().median() < first->time_to_target_s().median()) {
      first = r;
    }
  }
  if (first == nullptr) return;
  out->push_back(absl::StrCat(
      prefix, "first to ", Pct(result.config().target_accuracy()), ": ", first->name(),
      absl::StrFormat(" after %.1f s", first->time_to_target_s().median()),
      missed.empty() ? std::string()
                     : absl::StrCat("; never reached by ", absl::StrJoin(missed, ", ")),
      "."));
}

// Two rows that differ only in their data distribution: which learned better at equal samples
// (or at the end) and, from their runs' evaluations, at equal wall time.
void DistributionPairFindings(const CompareResult& result, const CompareRow& a, const CompareRow& b,
                              const std::string& prefix, std::vector<std::string>* out) {
  const double acc_a = a.final_test_accuracy().median();
  const double acc_b = b.final_test_accuracy().median();
  const CompareRow& better = acc_a >= acc_b ? a : b;
  const CompareRow& worse = acc_a >= acc_b ? b : a;
  const std::string when =
      a.samples() == b.samples()
          ? absl::StrCat("at equal samples (", a.samples(), ")")
          : absl::StrCat("at the end (", a.samples(), " and ", b.samples(), " samples)");
  std::string sentence = absl::StrCat(
      prefix, when, ", ", better.distribution(), " (", better.name(), ") learned better than ",
      worse.distribution(), " (", worse.name(), "): ", Pct(better.final_test_accuracy().median()),
      " against ", Pct(worse.final_test_accuracy().median()), ".");
  if (std::abs(acc_a - acc_b) < 0.005) {
    sentence = absl::StrCat(prefix, when, ", ", a.distribution(), " and ", b.distribution(),
                            " learned about equally well here: ", Pct(acc_a), " against ",
                            Pct(acc_b), ".");
  }
  out->push_back(sentence);
  const RunResult* run_a = FirstRunOf(result, a);
  const RunResult* run_b = FirstRunOf(result, b);
  if (run_a == nullptr || run_b == nullptr) return;
  const double t = std::min(run_a->wall_seconds(), run_b->wall_seconds());
  std::optional<double> at_a = AccuracyAt(*run_a, t), at_b = AccuracyAt(*run_b, t);
  if (at_a && at_b) {
    out->push_back(absl::StrCat(prefix, "at equal wall time (", absl::StrFormat("%.1f s", t), "), ",
                                a.name(), " had ", Pct(*at_a), " and ", b.name(), " ", Pct(*at_b),
                                "."));
  }
}

// Pairs of the group that differ only in their data distribution: the data-distribution lesson.
void DistributionFindings(const CompareResult& result, const Rows& rows, const std::string& prefix,
                          std::vector<std::string>* out) {
  for (size_t i = 0; i < rows.size(); ++i) {
    for (size_t j = i + 1; j < rows.size(); ++j) {
      const CompareRow& a = *rows[i];
      const CompareRow& b = *rows[j];
      if (a.strategy() != b.strategy() || a.workers() != b.workers() ||
          a.distribution() == b.distribution()) {
        continue;
      }
      DistributionPairFindings(result, a, b, prefix, out);
    }
  }
}

}  // namespace

std::vector<std::string> Findings(const CompareResult& result) {
  // Runs that learned nothing first: every other finding about them means little.
  std::vector<std::string> out = ChanceFindings(result);
  std::vector<Rows> groups;
  for (const CompareRow& row : result.rows()) {
    if (groups.empty() || groups.back().front()->group() != row.group()) groups.emplace_back();
    groups.back().push_back(&row);
  }
  for (const Rows& rows : groups) {
    if (rows.size() < 2) continue;
    // The group's short name: its title up to the first colon ("1. SageMaker TF job").
    const std::string prefix = FindingPrefix(rows.front()->group());
    out.push_back(AccuracyFinding(result, rows, prefix));
    out.push_back(SpeedFinding(rows, prefix));
    TargetFinding(result, rows, prefix, &out);
    DistributionFindings(result, rows, prefix, &out);
    HostsFindings(result, rows, prefix, &out);
    DistributionJobFindings(result, rows, prefix, &out);
    ModelledFindings(result, rows, prefix, &out);
  }
  FaultFindings(result, &out);
  return out;
}

}  // namespace distsim::report
