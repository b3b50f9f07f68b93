// The study's rows, findings, text table and files (staleness.h).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "sim/app/staleness.h"
#include "sim/base/status.h"
#include "sim/report/result_io.h"
#include "sim/report/staleness_report.h"

namespace distsim::app {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// The median, a cell that missed the target counting as infinitely many; 0 if that is infinite.
double MedianOrZero(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t m = values.size() / 2;
  const double median = values.size() % 2 == 1 ? values[m] : 0.5 * (values[m - 1] + values[m]);
  return std::isfinite(median) ? median : 0;
}

using RowKey = std::tuple<std::string, uint32_t, uint32_t>;  // optimizer, n, s

// The slowdown at the largest s of `optimizer` on n, 0 if not known.
double SlowdownAtLargest(const StalenessResult& r, const std::string& optimizer, uint32_t n,
                         uint32_t largest) {
  for (const StalenessRow& row : r.rows()) {
    if (row.optimizer() == optimizer && row.workers() == n && row.staleness() == largest) {
      return row.slowdown();
    }
  }
  return 0;
}

// Whether the largest s costs more than s = 0 on every line, and how far the medians of the small
// s (at most `small`) stray from s = 0: the noise the trend stands out of.
std::string TrendFinding(const StalenessResult& r, uint32_t largest, uint32_t small) {
  int lines = 0, up = 0;
  double low = kInf, high = 0;
  for (const StalenessRow& row : r.rows()) {
    if (row.staleness() > 0 && row.staleness() <= small && row.slowdown() > 0) {
      low = std::min(low, row.slowdown());
      high = std::max(high, row.slowdown());
    }
    if (row.staleness() != largest) continue;
    ++lines;
    up += row.slowdown() > 1 || row.median_updates() == 0 ? 1 : 0;
  }
  std::string out = absl::StrFormat(
      "More staleness, more updates: s = %u needs more updates than s = 0 (or misses the target) "
      "on %d of %d (optimizer, n) lines.",
      largest, up, lines);
  if (high > 0) {
    absl::StrAppendFormat(&out,
                          " Up to s = %u the medians stay within %.2fx to %.2fx of s = 0, about "
                          "the spread of seeds and of the %u-update evaluation interval.",
                          small, low, high, static_cast<unsigned>(r.config().eval_every_updates()));
  }
  return out;
}

// "1.42x on n = 2" or "not reached in 5000 updates on n = 4".
std::string SlowdownText(const StalenessResult& r, double slowdown, uint32_t n) {
  if (slowdown > 0) return absl::StrFormat("%.2fx on n = %u", slowdown, n);
  return absl::StrFormat("not reached in %u updates on n = %u",
                         static_cast<unsigned>(r.config().max_updates()), n);
}

// Each optimizer against SGD at the largest s: the geometric mean over n of the slowdowns
// (infinite where a median missed the target).
std::vector<std::string> AgainstSgd(const std::vector<std::string>& names,
                                    std::map<std::string, double>& mean_log, uint32_t largest) {
  std::vector<std::string> out;
  if (mean_log.count("sgd") == 0) return out;
  const auto text = [](double log_mean) {
    return std::isfinite(log_mean) ? absl::StrFormat("%.2fx", std::exp(log_mean))
                                   : std::string("the target missed");
  };
  for (const std::string& name : names) {
    if (name == "sgd") continue;
    const bool more = mean_log[name] > mean_log["sgd"];
    out.push_back(absl::StrFormat(
        "%s is hurt %s than SGD by s = %u (geometric mean over n of the slowdown: %s against "
        "SGD's %s)%s.",
        name, more ? "more" : "less", largest, text(mean_log[name]), text(mean_log["sgd"]),
        more ? ", as Dai et al. report" : ", unlike Dai et al.'s models"));
  }
  return out;
}

std::vector<std::string> Findings(const StalenessResult& r) {
  std::vector<std::string> out;
  const auto& s_list = r.config().staleness();
  if (s_list.empty()) return out;
  const uint32_t largest = *std::max_element(s_list.begin(), s_list.end());
  std::map<std::string, double> mean_log;  // mean over n of log(slowdown at the largest s)
  std::vector<std::string> names;
  for (const StalenessRow& row : r.rows()) {
    if (std::find(names.begin(), names.end(), row.optimizer()) == names.end()) {
      names.push_back(row.optimizer());
    }
  }
  for (const std::string& name : names) {
    std::vector<std::string> parts;
    double sum = 0;
    int known = 0;
    for (uint32_t n : r.config().workers()) {
      const double slow = SlowdownAtLargest(r, name, n, largest);
      parts.push_back(SlowdownText(r, slow, n));
      if (slow > 0) sum += std::log(slow), ++known;
    }
    mean_log[name] = known == static_cast<int>(parts.size()) ? sum / known : kInf;
    out.push_back(absl::StrFormat("%s at s = %u against s = 0: %s.", name, largest,
                                  absl::StrJoin(parts, "; ")));
  }
  out.push_back(TrendFinding(r, largest, 4));
  for (std::string& line : AgainstSgd(names, mean_log, largest)) out.push_back(std::move(line));
  return out;
}

std::string RowsCsv(const StalenessResult& r) {
  std::string out =
      "optimizer,staleness,workers,seeds,reached,median_updates,median_modelled_seconds,"
      "slowdown\n";
  for (const StalenessRow& row : r.rows()) {
    absl::StrAppend(&out, row.optimizer(), ",", row.staleness(), ",", row.workers(), ",",
                    row.seeds(), ",", row.reached(), ",", row.median_updates(), ",",
                    row.median_modelled_seconds(), ",", row.slowdown(), "\n");
  }
  return out;
}

std::string CellsCsv(const StalenessResult& r) {
  std::string out =
      "optimizer,staleness,workers,seed,reached,updates_to_target,modelled_seconds_to_target,"
      "modelled_update_s,updates,mean_delay,best_accuracy,final_accuracy,wall_seconds\n";
  for (const StalenessCell& c : r.cells()) {
    absl::StrAppend(&out, c.optimizer(), ",", c.staleness(), ",", c.workers(), ",", c.seed(), ",",
                    c.reached() ? 1 : 0, ",", c.updates_to_target(), ",",
                    c.modelled_seconds_to_target(), ",", c.modelled_update_s(), ",", c.updates(),
                    ",", c.mean_delay(), ",", c.best_accuracy(), ",", c.final_accuracy(), ",",
                    c.wall_seconds(), "\n");
  }
  return out;
}

}  // namespace

void SummarizeStaleness(StalenessResult* result) {
  struct Acc {
    std::vector<double> updates, seconds;
    uint32_t reached = 0;
  };
  std::map<RowKey, Acc> by_key;
  std::vector<RowKey> order;  // first appearance: the cells' order (optimizer, n, s)
  for (const StalenessCell& c : result->cells()) {
    const RowKey key{c.optimizer(), c.workers(), c.staleness()};
    auto [it, fresh] = by_key.try_emplace(key);
    if (fresh) order.push_back(key);
    it->second.updates.push_back(c.reached() ? static_cast<double>(c.updates_to_target()) : kInf);
    it->second.seconds.push_back(c.reached() ? c.modelled_seconds_to_target() : kInf);
    it->second.reached += c.reached() ? 1 : 0;
  }
  // Optimizers in the order they first appear (the config's), then n, then s.
  std::map<std::string, size_t> rank;
  for (const RowKey& key : order) rank.try_emplace(std::get<0>(key), rank.size());
  std::sort(order.begin(), order.end(), [&rank](const RowKey& a, const RowKey& b) {
    return std::make_tuple(rank.at(std::get<0>(a)), std::get<1>(a), std::get<2>(a)) <
           std::make_tuple(rank.at(std::get<0>(b)), std::get<1>(b), std::get<2>(b));
  });
  result->clear_rows();
  for (const RowKey& key : order) {
    const Acc& acc = by_key[key];
    StalenessRow* row = result->add_rows();
    row->set_optimizer(std::get<0>(key));
    row->set_workers(std::get<1>(key));
    row->set_staleness(std::get<2>(key));
    row->set_seeds(static_cast<uint32_t>(acc.updates.size()));
    row->set_reached(acc.reached);
    row->set_median_updates(MedianOrZero(acc.updates));
    row->set_median_modelled_seconds(MedianOrZero(acc.seconds));
    auto base = by_key.find({std::get<0>(key), std::get<1>(key), 0});
    const double at_zero = base == by_key.end() ? 0 : MedianOrZero(base->second.updates);
    if (at_zero > 0 && row->median_updates() > 0) {
      row->set_slowdown(row->median_updates() / at_zero);
    }
  }
  result->clear_findings();
  for (std::string& f : Findings(*result)) result->add_findings(std::move(f));
}

std::string FormatStaleness(const StalenessResult& r) {
  std::string out = absl::StrFormat("%-9s %4s %4s %8s %18s %12s %9s\n", "optimizer", "n", "s",
                                    "reached", "updates to target", "modelled s", "slowdown");
  for (const StalenessRow& row : r.rows()) {
    const bool known = row.median_updates() > 0;
    absl::StrAppend(
        &out, absl::StrFormat("%-9s %4u %4u %6u/%-2u %18s %12s %9s\n", row.optimizer(),
                              row.workers(), row.staleness(), row.reached(), row.seeds(),
                              known ? absl::StrFormat("%.0f", row.median_updates()) : "not reached",
                              known ? absl::StrFormat("%.2f", row.median_modelled_seconds()) : "-",
                              row.slowdown() > 0 ? absl::StrFormat("%.2fx", row.slowdown()) : "-"));
  }
  for (const std::string& f : r.findings()) absl::StrAppend(&out, "\n", f);
  absl::StrAppend(&out, "\n",
                  absl::StrFormat("%d cells in %.0f s\n", r.cells_size(), r.wall_seconds()));
  return out;
}

absl::Status WriteStalenessFiles(const StalenessResult& result, const std::string& out_dir) {
  DS_RETURN_IF_ERROR(report::EnsureDir(out_dir));
  const std::filesystem::path dir(out_dir);
  DS_RETURN_IF_ERROR(
      report::WriteFileAtomic((dir / "staleness.json").string(), report::MessageToJson(result)));
  DS_RETURN_IF_ERROR(report::WriteFileAtomic((dir / "staleness.csv").string(), RowsCsv(result)));
  DS_RETURN_IF_ERROR(report::WriteFileAtomic((dir / "cells.csv").string(), CellsCsv(result)));
  return report::WriteFileAtomic((dir / "report.html").string(),
                                 report::RenderStalenessReport(result));
}

}  // namespace distsim::app
