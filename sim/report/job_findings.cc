#include "sim/report/job_findings.h"

#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/message_differencer.h"
#include "sim/report/chart_text.h"
#include "sim/report/row_facts.h"

namespace distsim::report {
namespace {

using Rows = std::vector<const CompareRow*>;

double Job(const CompareRow& row) { return row.modelled_job_seconds().median(); }

uint32_t HostsOf(const CompareResult& result, const CompareRow& row) {
  const RunResult* run = FirstRunOf(result, row);
  return run != nullptr && run->modelled().hosts() > 0 ? run->modelled().hosts() : row.workers();
}

bool SameModel(const CompareResult& result, const CompareRow& a, const CompareRow& b) {
  const RunResult* x = FirstRunOf(result, a);
  const RunResult* y = FirstRunOf(result, b);
  return x != nullptr && y != nullptr &&
         google::protobuf::util::MessageDifferencer::Equals(x->config().model(),
                                                            y->config().model());
}

// "1.6x as fast" or "1.3x as long": `job` against `reference`.
std::string Against(double job, double reference) {
  return job <= reference ? absl::StrFormat("%.1fx as fast", reference / job)
                          : absl::StrFormat("%.1fx as long", job / reference);
}

// Why a multi-host row took the time it did: "communication is 62% of its modelled step (41.0
// ms of 66.1 ms)" and, `with_bytes`, "; each worker step moves 13.1 MB out and 13.1 MB in, at
// least 105 ms at the instance's 1 Gbit/s".
// Under TensorFlow's shared global step, who made the updates on the modelled clock: "; of the
// 1000 updates worker 0 made 709 (150 ms a step) and worker 1 291 (366 ms a step)"; "" otherwise.
std::string SharedStepsText(const RunResult& run) {
  if (!run.config().train().has_global_steps() || run.worker_stats_size() < 2) return "";
  std::vector<std::string> parts;
  for (const WorkerStats& w : run.worker_stats()) {
    if (w.modelled_steps() == 0) return "";
    parts.push_back(absl::StrCat("worker ", w.rank(), parts.empty() ? " made " : " ",
                                 w.modelled_steps(), " (",
                                 Ms(1e3 * w.modelled_seconds() / w.modelled_steps()),
                                 " a step)"));
  }
  return absl::StrCat("; of the ", run.config().train().global_steps(), " updates ",
                      absl::StrJoin(parts, parts.size() == 2 ? " and " : ", "));
}

std::string Why(const CompareResult& result, const CompareRow& row, bool with_bytes) {
  const RunResult* run = FirstRunOf(result, row);
  if (run == nullptr) return "";
  const ModelledClock& m = run->modelled();
  const double step = row.modelled_step_ms();
  std::string out =
      absl::StrFormat("communication is %.0f%% of its modelled step (%s of %s)",
                      100 * m.communication_share(), Ms(step * m.communication_share()), Ms(step));
  double sent = 0, received = 0;
  int workers = 0;
  for (const WorkerStats& w : run->worker_stats()) {
    if (w.steps() == 0) continue;
    sent += static_cast<double>(w.bytes_sent()) / w.steps();
    received += static_cast<double>(w.bytes_received()) / w.steps();
    ++workers;
  }
  absl::StrAppend(&out, SharedStepsText(*run));
  if (workers == 0 || !with_bytes || sent + received == 0) return out;
  sent /= workers, received /= workers;
  absl::StrAppend(&out, "; each worker step moves ", FormatBytes(sent), " out and ",
                  FormatBytes(received), " in");
  if (m.bandwidth_gbps() > 0) {
    const double seconds = std::max(sent, received) * 8 / (m.bandwidth_gbps() * 1e9);
    absl::StrAppendFormat(&out, ", at least %s at the %s %g Gbit/s", Ms(1e3 * seconds),
                          m.instance_type().empty() ? "NIC's" : "instance's", m.bandwidth_gbps());
    if (absl::StrContains(row.strategy(), "COLOCATED")) {
      absl::StrAppend(&out, " (less: the part for the shard on its own host stays on the host)");
    }
  }
  return out;
}

// ", for $0.013 against $0.0078" when both rows have a bill.
std::string BillText(const CompareRow& row, const CompareRow& other) {
  const double a = row.modelled_cost_usd().median(), b = other.modelled_cost_usd().median();
  if (a <= 0 || b <= 0) return "";
  return absl::StrCat(", for ", Usd(a), " against ", Usd(b));
}

// The sentence of one one-host row and the multi-host rows of its model.
std::string HostsSentence(const CompareResult& result, const CompareRow& single, const Rows& multis,
                          const std::string& prefix) {
  const RunResult* run = FirstRunOf(result, *multis.front());
  const std::string instance = run != nullptr && !run->modelled().instance_type().empty()
                                   ? absl::StrCat(" on ", run->modelled().instance_type())
                                   : std::string();
  if (multis.size() == 1) {
    const CompareRow& multi = *multis.front();
    const bool beat = Job(multi) < Job(single);
    return absl::StrCat(prefix, HostsOf(result, multi), " hosts ", beat ? "beat" : "did not beat",
                        " 1", instance, ": ", multi.name(), " took ", Secs(Job(multi)),
                        " of modelled job time against ", Secs(Job(single)), " for ", single.name(),
                        " (", Against(Job(multi), Job(single)), ")", BillText(multi, single),
                        "; ", beat ? "" : "why: ", Why(result, multi, true), ".");
  }
  std::vector<std::string> parts;
  for (const CompareRow* multi : multis) {
    parts.push_back(absl::StrCat(multi->name(), " on ", HostsOf(result, *multi), " hosts ",
                                 Secs(Job(*multi)), " (", Against(Job(*multi), Job(single)), "; ",
                                 Why(result, *multi, false), ")"));
  }
  return absl::StrCat(prefix, "against 1 host (", single.name(), ", ", Secs(Job(single)),
                      " of modelled job time", instance, "): ", absl::StrJoin(parts, "; "), ".");
}

// "medians of 3 repeats each", "medians of 3 and 2 repeats", "one run each".
std::string RepeatsText(const CompareRow& a, const CompareRow& b) {
  const int x = a.run_names_size(), y = b.run_names_size();
  if (x <= 1 && y <= 1) return "one run each";
  if (x == y) return absl::StrCat("medians of ", x, " repeats each");
  return absl::StrCat("medians of ", x, " and ", y, " repeats");
}

// The accuracy half of a distribution pair's sentence.
std::string AccuracyGap(const CompareResult& result, const CompareRow& a, const CompareRow& b) {
  const RunResult* run = FirstRunOf(result, a);
  const bool epochs = run != nullptr && run->config().train().has_epochs();
  const std::string when =
      epochs ? absl::StrFormat("at equal epochs (%g per worker)", run->config().train().epochs())
             : absl::StrCat("at equal run length (", RunLengthText(result, a), ")");
  const double gap = 100 * (a.final_test_accuracy().median() - b.final_test_accuracy().median());
  const CompareRow& better = gap >= 0 ? a : b;
  const CompareRow& worse = gap >= 0 ? b : a;
  if (std::fabs(gap) < 0.05) {
    return absl::StrCat(when, ", both ended at ", Pct(a.final_test_accuracy().median()),
                        " final test accuracy");
  }
  return absl::StrCat(when, ", ", better.distribution(), "'s final test accuracy is ",
                      absl::StrFormat("%.1f", std::fabs(gap)), " points higher (",
                      Pct(better.final_test_accuracy().median()), " against ",
                      Pct(worse.final_test_accuracy().median()), ")");
}

}  // namespace

void HostsFindings(const CompareResult& result, const Rows& rows, const std::string& prefix,
                   std::vector<std::string>* out) {
  for (const CompareRow* single : rows) {
    if (HostsOf(result, *single) != 1 || Job(*single) <= 0) continue;
    Rows multis;
    for (const CompareRow* r : rows) {
      if (HostsOf(result, *r) >= 2 && Job(*r) > 0 && SameModel(result, *single, *r)) {
        multis.push_back(r);
      }
    }
    if (!multis.empty()) out->push_back(HostsSentence(result, *single, multis, prefix));
  }
}

void DistributionJobFindings(const CompareResult& result, const Rows& rows,
                             const std::string& prefix, std::vector<std::string>* out) {
  auto clear = [](RunConfig* c) { c->mutable_data()->clear_distribution(); };
  for (size_t i = 0; i < rows.size(); ++i) {
    for (size_t j = i + 1; j < rows.size(); ++j) {
      const CompareRow& a = *rows[i];
      const CompareRow& b = *rows[j];
      if (a.distribution() == b.distribution() || Job(a) <= 0 || Job(b) <= 0 ||
          !SameKey(RowKey(result, a, clear), RowKey(result, b, clear))) {
        continue;
      }
      const CompareRow& fast = Job(a) <= Job(b) ? a : b;
      const CompareRow& slow = Job(a) <= Job(b) ? b : a;
      out->push_back(
          absl::StrCat(prefix, "on the modelled job time (download + training + upload), ",
                       fast.distribution(), " (", fast.name(), ") took ", Secs(Job(fast)),
                       " against ", Secs(Job(slow)), " for ", slow.distribution(), " (",
                       slow.name(), "), ", absl::StrFormat("%.1fx as fast", Job(slow) / Job(fast)),
                       ", of which ", Secs(fast.modelled_download_seconds().median()), " and ",
                       Secs(slow.modelled_download_seconds().median()), " downloading; ",
                       AccuracyGap(result, a, b), "; ", RepeatsText(a, b), "."));
    }
  }
}

}  // namespace distsim::report
