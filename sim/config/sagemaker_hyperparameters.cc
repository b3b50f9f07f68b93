// The hyperparameter table of sagemaker.h, both ways: ParseHyperparameters, ApplyHyperparameters
// and HyperparametersFor.
#include "sim/config/sagemaker.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/text_format.h"
#include "sim/base/status.h"
#include "sim/config/json_object.h"

namespace distsim::config {
namespace {

namespace pb = google::protobuf;

absl::Status Bad(const std::string& path, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", what));
}

// A number as short as it reads back exactly: 1000, 0.001, 1e-08.
// The shortest text that reads back as the float `v` ("0.1", not 0.1f's double
// 0.10000000149011612): a float field is read as a float, so that is exact.
std::string FloatText(float v) {
  for (int digits = 1; digits <= 9; ++digits) {
    const std::string text = absl::StrFormat("%.*g", digits, v);
    float back = 0;
    if (absl::SimpleAtof(text, &back) && back == v) return text;
  }
  return absl::StrFormat("%.9g", v);
}

std::string NumberText(double v) {
  if (std::floor(v) == v && std::fabs(v) < 9007199254740992.0) {
    return absl::StrFormat("%.0f", v);
  }
  for (int digits = 15; digits <= 17; ++digits) {
    const std::string text = absl::StrFormat("%.*g", digits, v);
    double back = 0;
    if (absl::SimpleAtod(text, &back) && back == v) return text;
  }
  return absl::StrFormat("%.17g", v);
}

// A JSON value as text: strings as they are, numbers and booleans as JSON writes them.
absl::StatusOr<std::string> ScalarText(const pb::Value& value) {
  switch (value.kind_case()) {
    case pb::Value::kStringValue:
      return value.string_value();
    case pb::Value::kNumberValue:
      return NumberText(value.number_value());
    case pb::Value::kBoolValue:
      return std::string(value.bool_value() ? "true" : "false");
    case pb::Value::kNullValue:
      return std::string("null");
    default:
      return absl::InvalidArgumentError("an object or a list, where a string is expected");
  }
}

// "\"adam\"" -> adam, "0.001" -> 0.001, "adam" (not JSON) -> adam.
std::string Decoded(const std::string& text) {
  absl::StatusOr<pb::Struct> wrapped = ParseJsonObject(absl::StrCat("{\"v\":", text, "}"), "");
  if (!wrapped.ok()) return text;
  absl::StatusOr<std::string> scalar = ScalarText(wrapped->fields().at("v"));
  return scalar.ok() ? *scalar : text;
}

// One entry of the table: how a key's decoded value lands in the config.
using Setter = std::function<absl::Status(const std::string&, RunConfig*)>;

template <typename T>
absl::Status ParseNumber(const std::string& value, const char* what, T* out) {
  if (!absl::SimpleAtoi(value, out)) {
    return absl::InvalidArgumentError(absl::StrCat("\"", value, "\" is not ", what));
  }
  return absl::OkStatus();
}

absl::Status ParsePositive(const std::string& value, double* out) {
  if (!absl::SimpleAtod(value, out) || !(*out > 0) || !std::isfinite(*out)) {
    return absl::InvalidArgumentError(absl::StrCat("\"", value, "\" is not a number > 0"));
  }
  return absl::OkStatus();
}

absl::Status SetModel(const std::string& value, RunConfig* config) {
  const std::string kind = absl::AsciiStrToLower(value);
  ModelConfig* model = config->mutable_model();
  if (kind == "softmax") {
    model->mutable_softmax();
  } else if (kind == "mlp") {
    model->mutable_mlp();
  } else if (kind == "cnn") {
    model->mutable_cnn();
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", value, "\" is not a model; must be softmax, mlp or cnn"));
  }
  return absl::OkStatus();
}

absl::Status SetOptimizer(const std::string& value, RunConfig* config) {
  const std::string kind = absl::AsciiStrToLower(value);
  OptimizerConfig* optimizer = config->mutable_optimizer();
  if (kind == "sgd") {
    optimizer->mutable_sgd();
  } else if (kind == "momentum") {
    optimizer->mutable_momentum();
  } else if (kind == "adam") {
    optimizer->mutable_adam();
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", value, "\" is not an optimizer; must be sgd, momentum or adam"));
  }
  return absl::OkStatus();
}

absl::Status SetLearningRate(const std::string& value, RunConfig* config) {
  double lr = 0;
  DS_RETURN_IF_ERROR(ParsePositive(value, &lr));
  OptimizerConfig* o = config->mutable_optimizer();
  if (o->has_adam()) {
    o->mutable_adam()->set_learning_rate(static_cast<float>(lr));
  } else if (o->has_momentum()) {
    o->mutable_momentum()->set_learning_rate(static_cast<float>(lr));
  } else {
    o->mutable_sgd()->set_learning_rate(static_cast<float>(lr));
  }
  return absl::OkStatus();
}

absl::Status SetMode(const std::string& value, RunConfig* config) {
  ParameterServerStrategy::Mode mode;
  if (!ParameterServerStrategy::Mode_Parse(absl::AsciiStrToUpper(value), &mode) ||
      mode == ParameterServerStrategy::MODE_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", value, "\" is not a mode; must be async, sync or ssp"));
  }
  config->mutable_parameter_server()->set_mode(mode);
  return absl::OkStatus();
}

absl::Status SetDistribution(const std::string& value, RunConfig* config) {
  DataConfig::Distribution distribution;
  if (!DataConfig::Distribution_Parse(absl::AsciiStrToUpper(value), &distribution) ||
      distribution == DataConfig::DISTRIBUTION_UNSPECIFIED) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", value, "\" is not a distribution; must be GLOBAL_BATCH_SLICE, FULLY_REPLICATED or "
                     "SHARDED_BY_KEY"));
  }
  config->mutable_data()->set_distribution(distribution);
  return absl::OkStatus();
}

absl::Status SetConfigText(const std::string& value, RunConfig* config) {
  RunConfig parsed;
  if (!pb::TextFormat::ParseFromString(value, &parsed)) {
    // Another kind of config says so: a job trains one run.
    CompareConfig compare;
    PredictConfig predict;
    const char* kind = pb::TextFormat::ParseFromString(value, &compare)   ? "CompareConfig"
                       : pb::TextFormat::ParseFromString(value, &predict) ? "PredictConfig"
                                                                          : nullptr;
    if (kind != nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "holds a distsim.", kind, "; a training job runs one distsim.RunConfig (export each "
          "run with `distsim export-sagemaker`)"));
    }
    return absl::InvalidArgumentError("does not parse as a distsim.RunConfig in text format");
  }
  config->MergeFrom(parsed);
  return absl::OkStatus();
}

// The table, in the order its keys are applied: the whole config first, the model and the
// optimizer's kind before the fields that depend on them. evaluation_steps is applied last, by
// ApplyHyperparameters, since it needs the batch size.
const std::vector<std::pair<std::string, Setter>>& Table() {
  static const auto* table = new std::vector<std::pair<std::string, Setter>>{
      {"distsim_config", SetConfigText},
      {"model", SetModel},
      {"optimizer", SetOptimizer},
      {"learning_rate", SetLearningRate},
      {"batch_size",
       [](const std::string& v, RunConfig* c) {
         uint32_t b = 0;
         DS_RETURN_IF_ERROR(ParseNumber(v, "a whole number", &b));
         c->mutable_train()->set_batch_size(b);
         return absl::OkStatus();
       }},
      {"epochs",
       [](const std::string& v, RunConfig* c) {
         double e = 0;
         DS_RETURN_IF_ERROR(ParsePositive(v, &e));
         c->mutable_train()->set_epochs(e);
         return absl::OkStatus();
       }},
      {"steps",
       [](const std::string& v, RunConfig* c) {
         uint64_t s = 0;
         DS_RETURN_IF_ERROR(ParseNumber(v, "a whole number", &s));
         c->mutable_train()->set_steps(s);
         return absl::OkStatus();
       }},
      {"training_steps",
       [](const std::string& v, RunConfig* c) {
         uint64_t s = 0;
         DS_RETURN_IF_ERROR(ParseNumber(v, "a whole number", &s));
         c->mutable_train()->set_global_steps(s);
         return absl::OkStatus();
       }},
      {"eval_every_steps",
       [](const std::string& v, RunConfig* c) {
         uint64_t s = 0;
         DS_RETURN_IF_ERROR(ParseNumber(v, "a whole number", &s));
         c->mutable_train()->set_eval_every_steps(s);
         return absl::OkStatus();
       }},
      {"seed",
       [](const std::string& v, RunConfig* c) {
         uint64_t s = 0;
         DS_RETURN_IF_ERROR(ParseNumber(v, "a whole number", &s));
         c->set_seed(s);
         return absl::OkStatus();
       }},
      {"mode", SetMode},
      {"staleness",
       [](const std::string& v, RunConfig* c) {
         uint32_t s = 0;
         DS_RETURN_IF_ERROR(ParseNumber(v, "a whole number", &s));
         c->mutable_parameter_server()->set_staleness(s);
         return absl::OkStatus();
       }},
      {"distsim_data_distribution", SetDistribution},
  };
  return *table;
}

}  // namespace

absl::StatusOr<std::map<std::string, std::string>> ParseHyperparameters(std::string_view json,
                                                                       const std::string& path) {
  DS_ASSIGN_OR_RETURN(pb::Struct object, ParseJsonObject(json, path));
  std::map<std::string, std::string> hyperparameters;
  for (const auto& [key, value] : object.fields()) {
    absl::StatusOr<std::string> text = ScalarText(value);
    if (!text.ok()) return Bad(path, absl::StrCat(key, ": ", text.status().message()));
    hyperparameters[key] = value.has_string_value() ? Decoded(*text) : *text;
  }
  return hyperparameters;
}

absl::Status ApplyHyperparameters(const std::map<std::string, std::string>& hyperparameters,
                                  const std::string& path, RunConfig* config) {
  std::map<std::string, std::string> left = hyperparameters;
  if (auto it = left.find("mini_batch_size"); it != left.end()) {
    if (!left.count("batch_size")) left["batch_size"] = it->second;
    left.erase(it);
  }
  for (const auto& [key, set] : Table()) {
    auto it = left.find(key);
    if (it == left.end()) continue;
    absl::Status applied = set(it->second, config);
    if (!applied.ok()) return Bad(path, absl::StrCat(key, ": ", applied.message()));
    left.erase(it);
  }
  if (auto it = left.find("evaluation_steps"); it != left.end()) {
    uint32_t batches = 0;
    absl::Status parsed = ParseNumber(it->second, "a whole number", &batches);
    if (!parsed.ok()) return Bad(path, absl::StrCat("evaluation_steps: ", parsed.message()));
    config->mutable_data()->set_test_limit(batches * std::max<uint32_t>(1, config->train().batch_size()));
    left.erase(it);
  }
  for (const auto& [key, value] : left) {
    if (absl::StartsWith(key, "sagemaker_")) continue;  // SageMaker's own
    std::vector<std::string> known = {"mini_batch_size", "evaluation_steps"};
    for (const auto& entry : Table()) known.push_back(entry.first);
    return Bad(path, absl::StrCat(key, ": not a distsim hyperparameter; known: ",
                                  absl::StrJoin(known, ", "), " (and sagemaker_*)"));
  }
  return absl::OkStatus();
}

std::map<std::string, std::string> HyperparametersFor(const RunConfig& config,
                                                      std::vector<std::string>* notes) {
  // JSON-encoded, as the SageMaker Python SDK sends a framework's hyperparameters.
  auto quoted = [](const std::string& text) { return absl::StrCat("\"", text, "\""); };
  std::map<std::string, std::string> hp;
  std::string text;
  pb::TextFormat::Printer printer;
  printer.SetSingleLineMode(true);
  printer.PrintToString(config, &text);
  // JSON string escaping of the text: quotes and backslashes.
  std::string escaped;
  for (char c : std::string(absl::StripTrailingAsciiWhitespace(text))) {
    if (c == '"' || c == '\\') escaped.push_back('\\');
    escaped.push_back(c);
  }
  hp["distsim_config"] = absl::StrCat("\"", escaped, "\"");
  const ModelConfig& m = config.model();
  hp["model"] = quoted(m.has_cnn() ? "cnn" : m.has_mlp() ? "mlp" : "softmax");
  const OptimizerConfig& o = config.optimizer();
  const char* kind = o.has_adam() ? "adam" : o.has_momentum() ? "momentum" : "sgd";
  const float lr = o.has_adam()       ? o.adam().learning_rate()
                   : o.has_momentum() ? o.momentum().learning_rate()
                                      : o.sgd().learning_rate();
  hp["optimizer"] = quoted(kind);
  hp["learning_rate"] = FloatText(lr);
  hp["batch_size"] = NumberText(config.train().batch_size());
  switch (config.train().length_case()) {
    case TrainConfig::kEpochs:
      hp["epochs"] = NumberText(config.train().epochs());
      break;
    case TrainConfig::kGlobalSteps:
      hp["training_steps"] = NumberText(static_cast<double>(config.train().global_steps()));
      break;
    default:
      hp["steps"] = NumberText(static_cast<double>(config.train().steps()));
  }
  hp["seed"] = NumberText(static_cast<double>(config.seed()));
  if (config.has_parameter_server()) {
    hp["mode"] = quoted(absl::AsciiStrToLower(
        ParameterServerStrategy::Mode_Name(config.parameter_server().mode())));
  }
  if (config.data().distribution() == DataConfig::GLOBAL_BATCH_SLICE) {
    hp["distsim_data_distribution"] = quoted("GLOBAL_BATCH_SLICE");
    if (notes != nullptr) {
      notes->push_back(
          "data.distribution GLOBAL_BATCH_SLICE has no SageMaker equivalent: the train channel is "
          "exported FullyReplicated (every host holds the whole set) and the hyperparameter "
          "distsim_data_distribution makes each host take its slice of every global batch");
    }
  }
  return hp;
}

}  // namespace distsim::config
