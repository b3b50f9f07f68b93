#include "sim/config/compare.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "sim/base/status.h"
#include "sim/config/config.h"

namespace distsim::config {
namespace {

void ScaleLearningRate(OptimizerConfig* o, double factor) {
  switch (o->kind_case()) {
    case OptimizerConfig::kSgd:
      o->mutable_sgd()->set_learning_rate(o->sgd().learning_rate() * factor);
      break;
    case OptimizerConfig::kMomentum:
      o->mutable_momentum()->set_learning_rate(o->momentum().learning_rate() * factor);
      break;
    case OptimizerConfig::kAdam:
      o->mutable_adam()->set_learning_rate(o->adam().learning_rate() * factor);
      break;
    default:
      break;
  }
}

std::string StrategyLabel(const RunConfig& c) {
  if (!c.name().empty()) return c.name();
  if (c.has_parameter_server()) {
    return absl::AsciiStrToLower(
        absl::StrCat("ps_", ParameterServerStrategy::Mode_Name(c.parameter_server().mode())));
  }
  if (c.has_allreduce()) return "ring";
  return "local";
}

}  // namespace

CompareConfig WithCompareDefaults(CompareConfig config) {
  if (config.output_dir().empty()) config.set_output_dir("out");
  if (config.repeats() == 0) config.set_repeats(1);
  if (config.scaling() == CompareConfig::SCALING_UNSPECIFIED) {
    config.set_scaling(CompareConfig::WEAK);
  }
  if (config.target_accuracy() == 0) config.set_target_accuracy(0.95);
  if (config.sweep().lr_scaling() == Sweep::LR_SCALING_UNSPECIFIED && config.has_sweep()) {
    config.mutable_sweep()->set_lr_scaling(Sweep::NONE);
  }
  return config;
}

namespace {

// The comparison's own fields. Returns the warm-up every swept run gets (0: none).
uint32_t CheckCompareFields(const CompareConfig& config, std::vector<std::string>* errors) {
  if (config.name().empty()) errors->push_back("name: is empty; give the comparison a name");
  if (config.repeats() < 1 || config.repeats() > 20) {
    errors->push_back(
        absl::StrCat("repeats: ", config.repeats(), " is out of range; must be in [1, 20]"));
  }
  for (int i = 0; i < config.runs_size(); ++i) {
    if (config.runs(i).repeats() > 20) {
      errors->push_back(absl::StrCat("runs[", i, "] (", config.runs(i).name(),
                                     ").repeats: ", config.runs(i).repeats(),
                                     " is out of range; must be in [1, 20] (0: the comparison's)"));
    }
  }
  if (!(config.target_accuracy() > 0 && config.target_accuracy() <= 1)) {
    errors->push_back(absl::StrCat("target_accuracy: ", config.target_accuracy(),
                                   " is out of range; must be in (0, 1]"));
  }

  // Warm-up goes with a scaled learning rate; asked for without one it would do nothing.
  const Sweep& sweep_config = config.sweep();
  const bool lr_scaled =
      sweep_config.lr_scaling() == Sweep::LINEAR || sweep_config.lr_scaling() == Sweep::SQRT;
  const uint32_t sweep_warmup = sweep_config.warmup_steps();
  if (sweep_warmup > kMaxWarmupSteps) {
    errors->push_back(absl::StrCat("sweep.warmup_steps: ", sweep_warmup,
                                   " is out of range; must be in [0, ", kMaxWarmupSteps, "]"));
  } else if (sweep_warmup > 0 && !lr_scaled) {
    errors->push_back(absl::StrCat("sweep.warmup_steps: ", sweep_warmup,
                                   " applies only to runs whose learning rate is "
                                   "scaled, but lr_scaling is ",
                                   Sweep::LrScaling_Name(sweep_config.lr_scaling()),
                                   "; set lr_scaling to LINEAR or SQRT, or warm up every run with "
                                   "base { optimizer { warmup_steps: ... } }"));
  } else {
    return sweep_warmup;
  }
  return 0;
}

// An error if `config` would expand to more than kMaxCompareRuns runs, counted from the list
// sizes alone (local sweep points, which are swept once, count as many as any).
std::optional<std::string> CheckRunCount(const CompareConfig& config) {
  const Sweep& sweep = config.sweep();
  const int sizes[] = {sweep.workers_size(), sweep.strategies_size(), sweep.distributions_size()};
  uint64_t points = 0;
  if (config.has_sweep()) {
    points = 1;
    // Each factor is below 2^31 and the product stops growing past the limit: no overflow.
    for (int n : sizes) {
      if (points <= kMaxCompareRuns) points *= static_cast<uint64_t>(std::max(1, n));
    }
  }
  const uint64_t runs = static_cast<uint64_t>(config.runs_size());
  if (runs + points <= kMaxCompareRuns) return std::nullopt;
  return absl::StrCat("runs, sweep: the comparison names more than ", kMaxCompareRuns, " runs (",
                      runs, " listed; a sweep of ", sizes[0], " worker counts x ", sizes[1],
                      " strategies x ", sizes[2], " distributions); at most ", kMaxCompareRuns,
                      " are allowed");
}

// The listed runs: the base config plus each run's overrides.
void ExpandRuns(const CompareConfig& config, std::vector<CompareEntry>* entries) {
  for (int i = 0; i < config.runs_size(); ++i) {
    const CompareRun& run = config.runs(i);
    CompareEntry entry;
    entry.name = run.name().empty() ? absl::StrCat("run", i) : run.name();
    entry.group = run.group();
    entry.description = run.description();
    entry.baseline = run.baseline();
    entry.repeats = static_cast<int>(run.repeats() > 0 ? run.repeats() : config.repeats());
    entry.config = config.base();
    MergeOverrides(run.overrides(), &entry.config);
    entries->push_back(std::move(entry));
  }
}

// One point of the sweep: the base config with `strategy` on n workers and `distribution`, its
// learning rate scaled and warmed up as the sweep says. Empty for a local run past the first
// worker count (one process is swept once).
std::optional<CompareEntry> SweepPoint(const CompareConfig& config, const RunConfig& strategy,
                                       uint32_t n, uint32_t first_n, int distribution,
                                       bool name_distribution, uint32_t warmup) {
  const Sweep& sweep = config.sweep();
  CompareEntry entry;
  entry.config = config.base();
  RunConfig overrides = strategy;
  overrides.clear_name();
  if (overrides.strategy_case() != RunConfig::STRATEGY_NOT_SET) entry.config.clear_strategy();
  MergeOverrides(overrides, &entry.config);
  const bool local =
      entry.config.has_local() || entry.config.strategy_case() == RunConfig::STRATEGY_NOT_SET;
  if (local && n != first_n) return std::nullopt;
  entry.config.set_workers(local ? 1 : n);
  entry.config.mutable_data()->set_distribution(
      static_cast<DataConfig::Distribution>(distribution));
  const double w = local ? 1.0 : n;
  if (sweep.lr_scaling() == Sweep::LINEAR) {
    ScaleLearningRate(entry.config.mutable_optimizer(), w);
  } else if (sweep.lr_scaling() == Sweep::SQRT) {
    ScaleLearningRate(entry.config.mutable_optimizer(), std::sqrt(w));
  }
  if (warmup > 0) entry.config.mutable_optimizer()->set_warmup_steps(warmup);
  entry.name = absl::StrCat(StrategyLabel(strategy), "_", local ? 1 : n, "w");
  if (name_distribution) {
    absl::StrAppend(&entry.name, "_",
                    absl::AsciiStrToLower(DataConfig::Distribution_Name(
                        static_cast<DataConfig::Distribution>(distribution))));
  }
  entry.group = sweep.group();
  entry.repeats = static_cast<int>(config.repeats());
  return entry;
}

// The sweep: strategies x worker counts x data distributions, in that nesting order.
void ExpandSweep(const CompareConfig& config, uint32_t warmup, std::vector<CompareEntry>* entries) {
  const Sweep& sweep = config.sweep();
  std::vector<RunConfig> strategies(sweep.strategies().begin(), sweep.strategies().end());
  if (strategies.empty()) strategies.push_back(RunConfig());
  std::vector<uint32_t> workers(sweep.workers().begin(), sweep.workers().end());
  if (workers.empty()) workers.push_back(std::max<uint32_t>(1, config.base().workers()));
  std::vector<int> distributions(sweep.distributions().begin(), sweep.distributions().end());
  const bool name_distribution = distributions.size() > 1;
  if (distributions.empty()) distributions.push_back(config.base().data().distribution());
  for (const RunConfig& strategy : strategies) {
    for (uint32_t n : workers) {
      for (int distribution : distributions) {
        std::optional<CompareEntry> entry = SweepPoint(config, strategy, n, workers.front(),
                                                       distribution, name_distribution, warmup);
        if (entry) entries->push_back(std::move(*entry));
      }
    }
  }
}

// Names each entry's config, fills its defaults and validates it; then the names themselves:
// unique, and every baseline one of them.
void CheckEntries(const CompareConfig& config, std::vector<CompareEntry>* entries,
                  std::vector<std::string>* errors) {
  std::set<std::string> names;
  for (CompareEntry& entry : *entries) {
    if (!names.insert(entry.name).second) {
      errors->push_back(absl::StrCat("runs: two runs are named \"", entry.name, "\""));
    }
    entry.config.set_name(entry.name);
    entry.config = WithDefaults(std::move(entry.config));
    absl::Status valid = ValidateRunConfig(entry.config);
    if (!valid.ok()) {
      for (absl::string_view line : absl::StrSplit(valid.message(), '\n')) {
        errors->push_back(absl::StrCat("run \"", entry.name, "\": ", line));
      }
    }
  }
  if (!config.baseline().empty() && !names.count(config.baseline())) {
    errors->push_back(absl::StrCat("baseline: \"", config.baseline(),
                                   "\" is not the name of a run; runs are ",
                                   absl::StrJoin(names, ", ")));
  }
  for (const CompareEntry& entry : *entries) {
    if (!entry.baseline.empty() && !names.count(entry.baseline)) {
      errors->push_back(absl::StrCat("run \"", entry.name, "\": baseline: \"", entry.baseline,
                                     "\" is not the name of a run"));
    }
  }
}

// The claims: each names two different runs of the comparison (in its group, when it names one),
// a measure and a figure that is not negative.
void CheckClaims(const CompareConfig& config, const std::vector<CompareEntry>& entries,
                 std::vector<std::string>* errors) {
  std::vector<std::string> names;
  for (const CompareEntry& entry : entries) names.push_back(entry.name);
  // The errors of claims[i].`key`, which names the run `name`.
  auto check_run = [&](const std::string& field, const Claim& claim, const std::string& name) {
    auto entry = std::find_if(entries.begin(), entries.end(),
                              [&name](const CompareEntry& e) { return e.name == name; });
    if (name.empty()) {
      errors->push_back(absl::StrCat(field, ": is empty; name a run of this comparison"));
    } else if (entry == entries.end()) {
      errors->push_back(absl::StrCat(field, ": \"", name,
                                     "\" is not a run of this comparison; runs are ",
                                     absl::StrJoin(names, ", ")));
    } else if (!claim.group().empty() && entry->group != claim.group()) {
      errors->push_back(absl::StrCat(field, ": \"", name, "\" is in group \"", entry->group,
                                     "\", not in the claim's group \"", claim.group(), "\""));
    }
  };
  for (int i = 0; i < config.claims_size(); ++i) {
    const Claim& claim = config.claims(i);
    const std::string field = absl::StrCat("claims[", i, "].");
    check_run(field + "run", claim, claim.run());
    check_run(field + "other", claim, claim.other());
    if (!claim.run().empty() && claim.run() == claim.other()) {
      errors->push_back(absl::StrCat(field, "other: \"", claim.other(),
                                     "\" is the claim's run too; a claim compares two runs"));
    }
    if (claim.measure() == Claim::MEASURE_UNSPECIFIED) {
      errors->push_back(absl::StrCat(field, "measure: is unset; set SPEEDUP or ACCURACY_GAP"));
    }
    if (!(claim.value() >= 0) || !std::isfinite(claim.value())) {
      errors->push_back(absl::StrCat(field, "value: ", claim.value(),
                                     " is out of range; must be >= 0 (0: only the direction "
                                     "is claimed)"));
    }
  }
}

}  // namespace

absl::StatusOr<std::vector<CompareEntry>> ExpandCompare(const CompareConfig& config,
                                                        const std::string& origin) {
  std::vector<std::string> errors;
  const uint32_t sweep_warmup = CheckCompareFields(config, &errors);
  std::vector<CompareEntry> entries;
  if (std::optional<std::string> too_many = CheckRunCount(config)) {
    errors.push_back(*too_many);
  } else {
    ExpandRuns(config, &entries);
    if (config.has_sweep()) ExpandSweep(config, sweep_warmup, &entries);
    if (entries.empty()) errors.push_back("runs, sweep: the comparison has no runs");
    CheckEntries(config, &entries, &errors);
    CheckClaims(config, entries, &errors);
  }
  if (!errors.empty()) {
    for (std::string& e : errors) e = absl::StrCat(origin, ": ", e);
    return absl::InvalidArgumentError(absl::StrJoin(errors, "\n"));
  }
  return entries;
}

absl::StatusOr<std::vector<CompareEntry>> LoadCompare(const std::string& path,
                                                      CompareConfig* config) {
  DS_RETURN_IF_ERROR(LoadMessage(path, config));
  *config = WithCompareDefaults(std::move(*config));
  return ExpandCompare(*config, path);
}

}  // namespace distsim::config
