#include "sim/report/modelled_findings.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "sim/report/row_facts.h"
#include "sim/report/strategy_names.h"

namespace distsim::report {

using Rows = std::vector<const CompareRow*>;

namespace {

// "%g" without an exponent for the usual figures: 0.1, 25, 1000.
std::string Short(double v) { return absl::StrFormat("%g", v); }

double BandwidthOf(const CompareResult& result, const CompareRow& row) {
  const RunResult* run = FirstRunOf(result, row);
  if (run == nullptr) return 0;
  const double configured = run->config().cluster().network().bandwidth_gbps();
  return configured > 0 ? configured : run->modelled().bandwidth_gbps();
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
    std::optional<RunConfig> key = RowKey(result, *r, clear_bandwidth);
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
  const std::optional<RunConfig> key = RowKey(result, faulty, clear_faults);
  for (const CompareRow& r : result.rows()) {
    if (r.faults_size() == 0 && r.modelled_samples_per_second().median() > 0 &&
        SameKey(key, RowKey(result, r, clear_faults))) {
      return &r;
    }
  }
  return nullptr;
}

}  // namespace

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
  const std::string prefix = groups.size() == 1 ? FindingPrefix(groups[0]) : std::string();
  for (const auto& [fault, parts] : by_fault) {
    out->push_back(absl::StrCat(prefix, "with ", fault,
                                ", each strategy keeps this share of its modelled throughput "
                                "without it: ",
                                absl::StrJoin(parts, "; "), "."));
  }
}

}  // namespace distsim::report
