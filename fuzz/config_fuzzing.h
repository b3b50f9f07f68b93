// What fuzz_config_text and fuzz_config_json do with one input, in either syntax: the config
// loader's path from text to a checked config (sim/config/config.h, compare.h), with no file.
//
// The input is parsed as a RunConfig and, independently, as a CompareConfig (ParseMessage, the
// parser behind LoadMessage). A RunConfig that parses goes through WithDefaults,
// ValidateRunConfig, Advice and ResolveDataDir; a CompareConfig through WithCompareDefaults and
// ExpandCompare (every run of the comparison defaulted and validated); a valid RunConfig also
// through FaultsByWorker and DescribeFaults; text also as a --set fragment (ApplyOverride).
// Contracts checked: every refusal is InvalidArgument and names the origin; WithDefaults is
// idempotent; an expanded comparison's runs are valid and named; a valid config has one fault
// entry per worker; text that parses is an acceptable fragment unless blank.
#ifndef DISTSIM_FUZZ_CONFIG_FUZZING_H_
#define DISTSIM_FUZZ_CONFIG_FUZZING_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "distsim/config.pb.h"
#include "fuzz/fuzz_check.h"
#include "sim/config/compare.h"
#include "sim/config/config.h"
#include "sim/config/instances.h"

namespace distsim::fuzz {

// A refusal of `origin`'s text: InvalidArgument, and the message names the origin.
inline void CheckRefusal(const absl::Status& status, const std::string& origin) {
  FUZZ_CHECK(absl::IsInvalidArgument(status));
  FUZZ_CHECK(status.message().find(origin) != std::string_view::npos);
}

inline void FuzzRunConfig(std::string_view text, config::ConfigSyntax syntax,
                          const std::string& origin) {
  RunConfig parsed;
  if (absl::Status s = config::ParseMessage(text, syntax, origin, &parsed); !s.ok()) {
    CheckRefusal(s, origin);
    return;
  }
  const RunConfig defaulted = config::WithDefaults(parsed);
  FUZZ_CHECK(config::WithDefaults(defaulted).SerializeAsString() == defaulted.SerializeAsString());
  const absl::Status valid = config::ValidateRunConfig(defaulted);
  if (!valid.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(valid));
    return;
  }
  config::Advice(defaulted);
  config::ResolveDataDir(defaulted, origin, "data/mnist", "data/fashion-mnist");
  const std::vector<FaultConfig> faults = config::FaultsByWorker(defaulted);
  FUZZ_CHECK(faults.size() == defaulted.workers());
  config::DescribeFaults(faults);
}

// Text that parses as a RunConfig is also a valid --set fragment: merged over a valid config,
// it must be accepted (unless it is blank, which a fragment may not be).
inline void FuzzOverride(std::string_view text, const std::string& origin) {
  RunConfig parsed;
  if (!config::ParseMessage(text, config::ConfigSyntax::kText, origin, &parsed).ok()) return;
  RunConfig base;
  base.set_name("base");
  base.mutable_model()->mutable_mlp()->add_hidden(8);
  base.mutable_optimizer()->mutable_sgd()->set_learning_rate(0.1f);
  base.mutable_train()->set_batch_size(16);
  base.mutable_train()->set_steps(10);
  base = config::WithDefaults(base);
  const absl::Status merged = config::ApplyOverride(&base, text);
  const bool blank = text.find_first_not_of(" \t\r\n") == std::string_view::npos;
  FUZZ_CHECK(merged.ok() != blank);
}

inline void FuzzCompareConfig(std::string_view text, config::ConfigSyntax syntax,
                              const std::string& origin) {
  CompareConfig parsed;
  if (absl::Status s = config::ParseMessage(text, syntax, origin, &parsed); !s.ok()) {
    CheckRefusal(s, origin);
    return;
  }
  const CompareConfig defaulted = config::WithCompareDefaults(parsed);
  absl::StatusOr<std::vector<config::CompareEntry>> entries =
      config::ExpandCompare(defaulted, origin);
  if (!entries.ok()) {
    CheckRefusal(entries.status(), origin);
    return;
  }
  FUZZ_CHECK(!entries->empty());
  for (const config::CompareEntry& entry : *entries) {
    FUZZ_CHECK(entry.config.name() == entry.name);
    FUZZ_CHECK(config::ValidateRunConfig(entry.config).ok());
  }
}

// One input of either target.
inline void FuzzConfigText(const uint8_t* data, size_t size, config::ConfigSyntax syntax,
                           const std::string& origin) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  FuzzRunConfig(text, syntax, origin);
  FuzzCompareConfig(text, syntax, origin);
  if (syntax == config::ConfigSyntax::kText) FuzzOverride(text, origin);
}

}  // namespace distsim::fuzz

#endif  // DISTSIM_FUZZ_CONFIG_FUZZING_H_
