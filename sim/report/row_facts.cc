#include "sim/report/row_facts.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/util/message_differencer.h"

namespace distsim::report {

const RunResult* FirstRunOf(const CompareResult& result, const CompareRow& row) {
  if (row.run_names_size() == 0) return nullptr;
  for (const RunResult& run : result.runs()) {
    if (run.config().name() == row.run_names(0)) return &run;
  }
  return nullptr;
}

std::optional<RunConfig> RowKey(const CompareResult& result, const CompareRow& row,
                                const std::function<void(RunConfig*)>& clear) {
  const RunResult* run = FirstRunOf(result, row);
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

std::string FindingPrefix(const std::string& group) {
  return group.empty() ? std::string() : absl::StrCat(group.substr(0, group.find(':')), ": ");
}

std::string RunLengthText(const CompareResult& result, const CompareRow& row) {
  const RunResult* run = FirstRunOf(result, row);
  if (run != nullptr) {
    const TrainConfig& train = run->config().train();
    // One process has no "per worker".
    const char* per = run->config().has_local() ? "" : "/worker";
    switch (train.length_case()) {
      case TrainConfig::kEpochs:
        return absl::StrFormat("%g epoch%s%s", train.epochs(), train.epochs() == 1 ? "" : "s", per);
      case TrainConfig::kSteps:
        return absl::StrCat(train.steps(), " steps", per);
      case TrainConfig::kGlobalSteps:
        return absl::StrCat(train.global_steps(), " global steps");
      default:
        break;
    }
  }
  return row.run_length();
}

std::string Usd(double usd) {
  return absl::StrFormat(usd >= 1 ? "$%.2f" : usd >= 0.01 ? "$%.3f" : "$%.4f", usd);
}

bool IdleWorthSaying(const CompareRow& row) {
  return row.modelled_idle_cost_usd().median() > 0.01 * row.modelled_cost_usd().median();
}

bool BestAboveFinal(const CompareRow& row) {
  return 100 * (row.best_test_accuracy().median() - row.final_test_accuracy().median()) >= 0.5;
}

namespace {

bool Asynchronous(const RunConfig& config) {
  return config.has_parameter_server() &&
         config.parameter_server().mode() != ParameterServerStrategy::SYNC;
}

// The cause the run's set-up points to (see BestBelowFinalReason).
std::string Cause(const RunResult& run) {
  const RunConfig& config = run.config();
  const DataConfig::Grouping grouping = config.data().grouping();
  const bool skewed = grouping == DataConfig::BY_LABEL || grouping == DataConfig::DIRICHLET;
  if (config.data().distribution() == DataConfig::SHARDED_BY_KEY && skewed &&
      Asynchronous(config)) {
    return absl::StrCat(
        "the last updates were applied, on arrival, by workers that each saw only their own "
        "shard (SHARDED_BY_KEY, objects ",
        grouping == DataConfig::BY_LABEL ? "grouped by label" : "with Dirichlet label skew", ")");
  }
  if (Asynchronous(config) && run.staleness().max() > 0) {
    return absl::StrFormat("its asynchronous updates were stale (mean %.1f, max %d updates behind)",
                           run.staleness().mean(), run.staleness().max());
  }
  double swing = 0;
  for (int i = 1; i < run.evals_size(); ++i) {
    swing =
        std::max(swing, std::fabs(run.evals(i).test_accuracy() - run.evals(i - 1).test_accuracy()));
  }
  return absl::StrFormat("its test accuracy moved by up to %.1f points between evaluations",
                         100 * swing);
}

}  // namespace

std::string BestBelowFinalReason(const CompareResult& result, const CompareRow& row) {
  if (!BestAboveFinal(row)) return "";
  const double gap = 100 * (row.best_test_accuracy().median() - row.final_test_accuracy().median());
  std::string out = absl::StrFormat("final is %.1f points below its best", gap);
  if (row.run_names_size() > 1) absl::StrAppend(&out, " (medians)");
  const RunResult* run = FirstRunOf(result, row);
  if (run == nullptr || run->evals_size() == 0) return out;
  const EvalPoint* best = &run->evals(0);
  for (const EvalPoint& e : run->evals()) {
    if (e.test_accuracy() > best->test_accuracy()) best = &e;
  }
  const EvalPoint& last = *run->evals().rbegin();
  if (best == &last || best->test_accuracy() <= last.test_accuracy()) {
    return absl::StrCat(out, "; its first repeat ended at its best");
  }
  absl::StrAppendFormat(&out, "%s: %s at step %d against %s at the last evaluation (step %d)",
                        row.run_names_size() > 1 ? "; in its first repeat" : "",
                        Pct(best->test_accuracy()), best->step(), Pct(last.test_accuracy()),
                        last.step());
  return absl::StrCat(out, "; ", Cause(*run));
}

namespace {

// "%g" without an exponent for the usual figures: 0.1, 25, 1000.
std::string Short(double v) { return absl::StrFormat("%g", v); }

}  // namespace

std::string DescribeNetwork(const RunResult& run) {
  const RunConfig& config = run.config();
  if (config.strategy_case() == RunConfig::kLocal ||
      config.strategy_case() == RunConfig::STRATEGY_NOT_SET) {
    return "";  // one process: no network
  }
  const NetworkConfig& net = config.cluster().network();
  const double gbps =
      net.bandwidth_gbps() > 0 ? net.bandwidth_gbps() : run.modelled().bandwidth_gbps();
  const double latency = net.has_latency_us() ? net.latency_us() : run.modelled().latency_us();
  if (gbps <= 0) return "";
  std::string out = absl::StrCat(Short(gbps), " Gbit/s, ", Short(latency), " us");
  if (net.jitter_us() > 0) absl::StrAppend(&out, ", jitter ", Short(net.jitter_us()), " us");
  if (net.loss() > 0) absl::StrAppend(&out, ", loss ", Short(100 * net.loss()), "%");
  absl::StrAppend(&out, net.shape() ? ", shaped" : ", modelled");
  return out;
}

std::string Pct(double fraction) { return absl::StrFormat("%.1f%%", 100 * fraction); }

std::string Ms(double ms) {
  return ms >= 100  ? absl::StrFormat("%.0f ms", ms)
         : ms >= 10 ? absl::StrFormat("%.1f ms", ms)
                    : absl::StrFormat("%.2f ms", ms);
}

std::string Rate(double per_second) {
  return per_second >= 100 ? absl::StrFormat("%.0f", per_second)
                           : absl::StrFormat("%.1f", per_second);
}

std::string Secs(double seconds) {
  return seconds >= 100 ? absl::StrFormat("%.0f s", seconds) : absl::StrFormat("%.1f s", seconds);
}

// The runs that paid for hosts with nothing to do (waiting for the slowest download or the
// chief's upload, or idle all along): a line each, or one line for more than three.
std::string IdleHostsText(const CompareResult& result) {
  std::vector<const CompareRow*> rows;
  double lowest = 1, highest = 0;
  const CompareRow* most = nullptr;
  for (const CompareRow& r : result.rows()) {
    const double idle = r.modelled_idle_cost_usd().median();
    if (!IdleWorthSaying(r)) continue;
    rows.push_back(&r);
    const double share = idle / r.modelled_cost_usd().median();
    lowest = std::min(lowest, share);
    if (share > highest) most = &r;
    highest = std::max(highest, share);
  }
  std::string out;
  if (rows.size() > 3) {
    return absl::StrFormat(
        "idle hosts: %d runs paid %.0f-%.0f%% of their bill for hosts with nothing to do (the "
        "most: %s)\n",
        rows.size(), 100 * lowest, 100 * highest, most->name());
  }
  for (const CompareRow* r : rows) {
    absl::StrAppendFormat(&out,
                          "idle hosts: %s paid $%.4f of its $%.4f for hosts with nothing to do\n",
                          r->name(), r->modelled_idle_cost_usd().median(),
                          r->modelled_cost_usd().median());
  }
  return out;
}

}  // namespace distsim::report
