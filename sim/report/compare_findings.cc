#include "sim/report/compare_findings.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/message_differencer.h"
#include "sim/report/chance.h"
#include "sim/report/strategy_names.h"

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

const RunResult* FirstRun(const CompareResult& result, const CompareRow& row) {
  for (const RunResult& run : result.runs()) {
    if (row.run_names_size() > 0 && run.config().name() == row.run_names(0)) return &run;
  }
  return nullptr;
}

std::string Pct(double x) { return absl::StrFormat("%.1f%%", 100 * x); }

// "%g" without an exponent for the usual figures: 0.1, 25, 1000.
std::string Short(double v) { return absl::StrFormat("%g", v); }

// The config of `row`'s first run with what `clear` clears cleared (and its name and output
// folder): two rows whose keys are equal differ only in what was cleared.
std::optional<RunConfig> KeyOf(const CompareResult& result, const CompareRow& row,
                               const std::function<void(RunConfig*)>& clear) {
  const RunResult* run = FirstRun(result, row);
  if (run == nullptr) return std::nullopt;
  RunConfig key = run->config();
  key.clear_name();
  key.clear_output_dir();
  clear(&key);
  return key;
}

bool SameKey(const std::optional<RunConfig>& a, const std::optional<RunConfig>& b) {
  return a && b && google::protobuf::util::MessageDifferencer::Equals(*a, *b);
}

double BandwidthOf(const CompareResult& result, const CompareRow& row) {
  const RunResult* run = FirstRun(result, row);
  if (run == nullptr) return 0;
  const double configured = run->config().cluster().network().bandwidth_gbps();
  return configured > 0 ? configured : run->modelled().bandwidth_gbps();
}

std::string Ms(double ms) {
  return ms >= 100  ? absl::StrFormat("%.0f ms", ms)
         : ms >= 10 ? absl::StrFormat("%.1f ms", ms)
                    : absl::StrFormat("%.2f ms", ms);
}

std::string Rate(double per_second) {
  return per_second >= 100 ? absl::StrFormat("%.0f", per_second)
                           : absl::StrFormat("%.1f", per_second);
}

// The fastest of the `modelled` rows (two or more) on the simulated cluster against the slowest,
// or that they are within 5% of each other.
void FastestModelledFinding(const Rows& modelled, const std::string& prefix,
                            std::vector<std::string>* out) {
  auto by_speed = modelled;
  std::stable_sort(by_speed.begin(), by_speed.end(), [](const CompareRow* a, const CompareRow* b) {
    return a->modelled_samples_per_second().median() > b->modelled_samples_per_second().median();
  });
  const CompareRow& fast = *by_speed.front();
  const CompareRow& slow = *by_speed.back();
  const CompareRow* measured = nullptr;
  for (const CompareRow* r : modelled) {
    if (measured == nullptr ||
        r->samples_per_second().median() > measured->samples_per_second().median()) {
      measured = r;
    }
  }
  const double top = fast.modelled_samples_per_second().median();
  const double bottom = slow.modelled_samples_per_second().median();
  if (top < 1.05 * bottom) {
    out->push_back(absl::StrCat(prefix,
                                "on the modelled cluster, the runs are within 5% of "
                                "each other (",
                                Rate(bottom), " to ", Rate(top), " samples/s)."));
    return;
  }
  // The wall clock here ranks another run first: worth saying when both clocks are clear
  // about it (10% on the modelled one, 5% on the wall clock), not for noise.
  const bool disagree =
      measured != &fast && measured->modelled_samples_per_second().median() < 0.9 * top &&
      measured->samples_per_second().median() > 1.05 * fast.samples_per_second().median();
  out->push_back(absl::StrCat(
      prefix, "on the modelled cluster, fastest ", fast.name(), " at ", Rate(top), " samples/s (",
      Ms(fast.modelled_step_ms()), " per step), ", absl::StrFormat("%.1fx", top / bottom),
      " the slowest (", slow.name(), ", ", Ms(slow.modelled_step_ms()), " per step)",
      disagree ? absl::StrCat("; on the wall clock here ", measured->name(), " was fastest")
               : std::string(),
      "."));
}

// Series of the `modelled` rows equal but for the bandwidth, in the order they first appear,
// each from the highest bandwidth to the lowest; only series over more than one bandwidth.
std::vector<Rows> BandwidthSeries(const CompareResult& result, const Rows& modelled) {
  std::vector<Rows> series;
  std::vector<std::optional<RunConfig>> keys;
  auto clear_bandwidth = [](RunConfig* c) {
    c->mutable_cluster()->mutable_network()->clear_bandwidth_gbps();
    c->mutable_cluster()->mutable_network()->clear_shape();
  };
  for (const CompareRow* r : modelled) {
    if (r->modelled_step_ms() <= 0 || BandwidthOf(result, *r) <= 0) continue;
    std::optional<RunConfig> key = KeyOf(result, *r, clear_bandwidth);
    if (!key) continue;
    size_t s = 0;
    while (s < keys.size() && !SameKey(keys[s], key)) ++s;
    if (s == keys.size()) {
      keys.push_back(key);
      series.emplace_back();
    }
    series[s].push_back(r);
  }
  for (auto& s : series) {
    std::stable_sort(s.begin(), s.end(), [&](const CompareRow* a, const CompareRow* b) {
      return BandwidthOf(result, *a) > BandwidthOf(result, *b);
    });
  }
  series.erase(std::remove_if(series.begin(), series.end(),
                              [&](const Rows& s) {
                                return BandwidthOf(result, *s.front()) ==
                                       BandwidthOf(result, *s.back());
                              }),
               series.end());
  return series;
}

// How each series' modelled step time grows as the bandwidth falls, in one sentence.
void BandwidthFinding(const CompareResult& result, const std::vector<Rows>& series,
                      const std::string& prefix, std::vector<std::string>* out) {
  std::vector<std::string> parts;
  for (const auto& s : series) {
    std::vector<std::string> steps;
    for (const CompareRow* r : s) {
      steps.push_back(absl::StrCat(Ms(r->modelled_step_ms()), " at ",
                                   Short(BandwidthOf(result, *r)), " Gbit/s"));
    }
    std::string label = ShortStrategy(s.front()->strategy());
    int same_label = 0;
    for (const auto& t : series) same_label += ShortStrategy(t.front()->strategy()) == label;
    if (same_label > 1) absl::StrAppend(&label, " (", s.front()->name(), ")");
    const double growth = s.front()->modelled_step_ms() > 0
                              ? s.back()->modelled_step_ms() / s.front()->modelled_step_ms()
                              : 0;
    parts.push_back(absl::StrCat(label, ": ", absl::StrJoin(steps, " -> "),
                                 growth > 0 ? absl::StrFormat(" (%.1fx)", growth) : ""));
  }
  if (!parts.empty()) {
    out->push_back(absl::StrCat(
        prefix, "modelled step time as the bandwidth falls: ", absl::StrJoin(parts, "; "), "."));
  }
}

// The modelled clock of one group: the fastest run on the simulated cluster and, for runs that
// differ only in their network bandwidth, how each strategy's modelled step time grows as the
// bandwidth falls.
void ModelledFindings(const CompareResult& result, const Rows& rows, const std::string& prefix,
                      std::vector<std::string>* out) {
  Rows modelled;
  for (const CompareRow* r : rows) {
    if (r->modelled_samples_per_second().median() > 0) modelled.push_back(r);
  }
  if (modelled.size() >= 2) FastestModelledFinding(modelled, prefix, out);
  BandwidthFinding(result, BandwidthSeries(result, modelled), prefix, out);
}

// "ps SYNC 25% (sync_slow: 15000 -> 3750 samples/s, 8.40 ms -> 33.6 ms per step)": the share of
// `clean`'s modelled throughput `faulty` keeps.
std::string FaultPart(const CompareRow& faulty, const CompareRow& clean) {
  const double before = clean.modelled_samples_per_second().median();
  const double after = faulty.modelled_samples_per_second().median();
  std::string part = absl::StrCat(
      ShortStrategy(faulty.strategy()), " ", absl::StrFormat("%.0f%%", 100 * after / before), " (",
      faulty.name(), ": ", Rate(before), " -> ", Rate(after), " samples/s, ",
      Ms(clean.modelled_step_ms()), " -> ", Ms(faulty.modelled_step_ms()), " per step");
  if (faulty.staleness().mean() > 0 || clean.staleness().mean() > 0) {
    absl::StrAppendFormat(&part, ", staleness mean %.1f -> %.1f, max %d -> %d",
                          clean.staleness().mean(), faulty.staleness().mean(),
                          clean.staleness().max(), faulty.staleness().max());
  }
  return absl::StrCat(part, ")");
}

// The first row with a modelled clock and no faults that is `faulty` without its faults.
const CompareRow* CleanTwin(const CompareResult& result, const CompareRow& faulty) {
  auto clear_faults = [](RunConfig* c) { c->mutable_cluster()->clear_faults(); };
  const std::optional<RunConfig> key = KeyOf(result, faulty, clear_faults);
  for (const CompareRow& r : result.rows()) {
    if (r.faults_size() == 0 && r.modelled_samples_per_second().median() > 0 &&
        SameKey(key, KeyOf(result, r, clear_faults))) {
      return &r;
    }
  }
  return nullptr;
}

// Rows with injected faults against the same run without them (anywhere in the comparison): how
// much of its modelled throughput each strategy keeps.
void FaultFindings(const CompareResult& result, std::vector<std::string>* out) {
  // Sentences by the faults' description, in order of first appearance.
  std::vector<std::pair<std::string, std::vector<std::string>>> by_fault;
  std::vector<std::string> groups;
  for (const CompareRow& faulty : result.rows()) {
    if (faulty.faults_size() == 0 || faulty.modelled_samples_per_second().median() <= 0) continue;
    const CompareRow* clean = CleanTwin(result, faulty);
    if (clean == nullptr) continue;
    const std::string fault = absl::StrJoin(faulty.faults(), "; ");
    auto it = std::find_if(by_fault.begin(), by_fault.end(),
                           [&](const auto& f) { return f.first == fault; });
    if (it == by_fault.end()) {
      by_fault.push_back({fault, {}});
      it = by_fault.end() - 1;
    }
    if (std::find(groups.begin(), groups.end(), faulty.group()) == groups.end()) {
      groups.push_back(faulty.group());
    }
    it->second.push_back(FaultPart(faulty, *clean));
  }
  const std::string prefix = groups.size() == 1 && !groups[0].empty()
                                 ? absl::StrCat(groups[0].substr(0, groups[0].find(':')), ": ")
                                 : std::string();
  for (const auto& [fault, parts] : by_fault) {
    out->push_back(absl::StrCat(prefix, "with ", fault,
                                ", each strategy keeps this share of its modelled throughput "
                                "without it: ",
                                absl::StrJoin(parts, "; "), "."));
  }
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
  const RunResult* run_a = FirstRun(result, a);
  const RunResult* run_b = FirstRun(result, b);
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
    const std::string& group = rows.front()->group();
    const std::string prefix =
        group.empty() ? std::string() : absl::StrCat(group.substr(0, group.find(':')), ": ");
    out.push_back(AccuracyFinding(result, rows, prefix));
    out.push_back(SpeedFinding(rows, prefix));
    TargetFinding(result, rows, prefix, &out);
    DistributionFindings(result, rows, prefix, &out);
    ModelledFindings(result, rows, prefix, &out);
  }
  FaultFindings(result, &out);
  return out;
}

}  // namespace distsim::report
