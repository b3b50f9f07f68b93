// ValidateRunConfig: every range the schema's comments state, all problems reported at once.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sim/config/config.h"
#include "sim/config/problems.h"

namespace distsim::config {
namespace {

using internal::Interval;
using internal::Problems;

// Ranges not written in the schema are chosen here, generously: they catch typos (an extra
// digit), not unusual experiments.
constexpr size_t kMaxNameLength = 128;
constexpr int kMaxMlpLayers = 8;
constexpr uint64_t kMaxLayerWidth = 65536;
constexpr uint64_t kMaxConvChannels = 1024;
constexpr uint64_t kMaxBatchSize = 65536;
constexpr uint64_t kMaxSteps = 1000000000;
constexpr double kMaxEpochs = 1000;
constexpr double kMaxLearningRate = 10;
constexpr uint64_t kMaxThreads = 64;
constexpr uint64_t kMaxObjects = 100000;

constexpr Interval kLearningRateRange{0, true, kMaxLearningRate, false};  // (0, 10]
constexpr Interval kProbabilityRange{0, false, 1, true};                  // [0, 1)
constexpr Interval kEpsilonRange{0, true, 1, true};                       // (0, 1)
constexpr Interval kEpochsRange{0, true, kMaxEpochs, false};              // (0, 1000]

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

void CheckName(const std::string& name, Problems* problems) {
  constexpr char kAllowed[] = "letters, digits, '-', '_' and '.'";
  if (name.empty()) {
    problems->Add("name",
                  absl::StrCat("empty; must be 1 to ", kMaxNameLength, " characters: ", kAllowed));
    return;
  }
  if (name.size() > kMaxNameLength) {
    problems->Add("name",
                  absl::StrCat(name.size(), " characters; must be at most ", kMaxNameLength));
  }
  for (size_t i = 0; i < name.size(); ++i) {
    if (!IsNameChar(name[i])) {
      unsigned char c = static_cast<unsigned char>(name[i]);
      std::string shown = c >= 0x20 && c < 0x7f ? absl::StrCat("'", std::string(1, name[i]), "'")
                                                : absl::StrCat("byte ", static_cast<int>(c));
      problems->Add("name", absl::StrCat("\"", name, "\" has ", shown, " at position ", i + 1,
                                         "; must contain only ", kAllowed));
      return;
    }
  }
  if (name[0] == '.') {
    problems->Add("name", absl::StrCat("\"", name, "\" starts with '.'; it names a folder ",
                                       "under output_dir and must not be hidden or '..'"));
  }
}

void CheckModel(const ModelConfig& model, Problems* problems) {
  switch (model.kind_case()) {
    case ModelConfig::kSoftmax:
      break;
    case ModelConfig::kMlp: {
      const MlpModel& mlp = model.mlp();
      if (mlp.hidden_size() == 0) {
        problems->Add("model.mlp.hidden",
                      absl::StrCat("empty; must list 1 to ", kMaxMlpLayers, " layer widths"));
      } else if (mlp.hidden_size() > kMaxMlpLayers) {
        problems->Add("model.mlp.hidden",
                      absl::StrCat(mlp.hidden_size(), " layers; must be at most ", kMaxMlpLayers));
      }
      for (int i = 0; i < mlp.hidden_size(); ++i) {
        problems->CheckInteger(absl::StrCat("model.mlp.hidden[", i, "]"), mlp.hidden(i), 1,
                               kMaxLayerWidth);
      }
      break;
    }
    case ModelConfig::kCnn: {
      const CnnModel& cnn = model.cnn();
      problems->CheckInteger("model.cnn.conv1_channels", cnn.conv1_channels(), 1, kMaxConvChannels);
      problems->CheckInteger("model.cnn.conv2_channels", cnn.conv2_channels(), 1, kMaxConvChannels);
      problems->CheckInteger("model.cnn.dense_units", cnn.dense_units(), 1, kMaxLayerWidth);
      if (cnn.has_dropout())
        problems->CheckReal("model.cnn.dropout", cnn.dropout(), kProbabilityRange);
      break;
    }
    case ModelConfig::KIND_NOT_SET:
      problems->Add("model", "not set; must be one of softmax, mlp, cnn (e.g. 'model { mlp {} }')");
      break;
  }
}

void CheckOptimizer(const OptimizerConfig& optimizer, Problems* problems) {
  switch (optimizer.kind_case()) {
    case OptimizerConfig::kSgd:
      problems->CheckReal("optimizer.sgd.learning_rate", optimizer.sgd().learning_rate(),
                          kLearningRateRange);
      break;
    case OptimizerConfig::kMomentum: {
      const MomentumOptimizer& m = optimizer.momentum();
      problems->CheckReal("optimizer.momentum.learning_rate", m.learning_rate(),
                          kLearningRateRange);
      if (m.has_momentum()) {
        problems->CheckReal("optimizer.momentum.momentum", m.momentum(), kProbabilityRange);
      }
      break;
    }
    case OptimizerConfig::kAdam: {
      const AdamOptimizer& a = optimizer.adam();
      problems->CheckReal("optimizer.adam.learning_rate", a.learning_rate(), kLearningRateRange);
      if (a.has_beta1()) problems->CheckReal("optimizer.adam.beta1", a.beta1(), kProbabilityRange);
      if (a.has_beta2()) problems->CheckReal("optimizer.adam.beta2", a.beta2(), kProbabilityRange);
      if (a.has_epsilon())
        problems->CheckReal("optimizer.adam.epsilon", a.epsilon(), kEpsilonRange);
      break;
    }
    case OptimizerConfig::KIND_NOT_SET:
      problems->Add("optimizer",
                    "not set; must be one of sgd, momentum, adam "
                    "(e.g. 'optimizer { sgd { learning_rate: 0.1 } }')");
      break;
  }
  problems->CheckInteger("optimizer.warmup_steps", optimizer.warmup_steps(), 0, kMaxWarmupSteps);
}

// The name of the strategy oneof member, as written in a config file.
const char* StrategyName(const RunConfig& config) {
  switch (config.strategy_case()) {
    case RunConfig::kLocal:
      return "local";
    case RunConfig::kParameterServer:
      return "parameter_server";
    case RunConfig::kAllreduce:
      return "allreduce";
    case RunConfig::STRATEGY_NOT_SET:
      break;
  }
  return "(not set)";
}

void CheckTrain(const RunConfig& config, Problems* problems) {
  const TrainConfig& train = config.train();
  const bool ps = config.has_parameter_server();
  problems->CheckInteger("train.batch_size", train.batch_size(), 1, kMaxBatchSize);
  switch (train.length_case()) {
    case TrainConfig::kSteps:
      problems->CheckInteger("train.steps", train.steps(), 1, kMaxSteps);
      break;
    case TrainConfig::kEpochs:
      problems->CheckReal("train.epochs", train.epochs(), kEpochsRange);
      break;
    case TrainConfig::kGlobalSteps:
      problems->CheckInteger("train.global_steps", train.global_steps(), 1, kMaxSteps);
      if (!ps) {
        problems->Add("train.global_steps",
                      absl::StrCat("set with strategy ", StrategyName(config),
                                   "; it counts the updates applied at the parameter servers, so "
                                   "it needs strategy parameter_server (use train.steps or "
                                   "train.epochs)"));
      }
      break;
    case TrainConfig::LENGTH_NOT_SET:
      if (ps) {
        problems->Add(
            "train.steps/train.epochs/train.global_steps",
            absl::StrCat("none is set; set exactly one: steps in [1, ", kMaxSteps, "], epochs in ",
                         kEpochsRange.ToString(), " or global_steps in [1, ", kMaxSteps, "]"));
      } else {
        problems->Add("train.steps/train.epochs",
                      absl::StrCat("neither is set; set exactly one: steps in [1, ", kMaxSteps,
                                   "] or epochs in ", kEpochsRange.ToString()));
      }
      break;
  }
  problems->CheckInteger("train.threads", train.threads(), 0, kMaxThreads);
}

// data.csv and data.num_classes; a CNN needs images, and CSV rows are 1 x d.
void CheckCsv(const RunConfig& config, Problems* problems) {
  const DataConfig& data = config.data();
  if (data.num_classes() != 0) {  // 0: not defaulted yet (10)
    problems->CheckInteger("data.num_classes", data.num_classes(), 2, 256);
  }
  if (data.dataset() != DataConfig::CSV) {
    if (data.has_csv()) {
      problems->Add("data.csv", absl::StrCat("is set, but data.dataset is ",
                                             DataConfig::Dataset_Name(data.dataset()),
                                             "; only dataset CSV reads it"));
    }
    return;
  }
  const CsvConfig& csv = data.csv();
  if (csv.train().empty()) problems->Add("data.csv.train", "empty; name the training CSV file");
  if (csv.test().empty()) problems->Add("data.csv.test", "empty; name the test CSV file");
  problems->CheckInteger("data.csv.label_column", csv.label_column(), 1, 100000);
  std::vector<uint32_t> seen;
  for (int i = 0; i < csv.feature_columns_size(); ++i) {
    const uint32_t column = csv.feature_columns(i);
    const std::string field = absl::StrCat("data.csv.feature_columns[", i, "]");
    problems->CheckInteger(field, column, 1, 100000);
    if (column == csv.label_column()) {
      problems->Add(field, absl::StrCat(column, " is the label column (data.csv.label_column)"));
    } else if (std::find(seen.begin(), seen.end(), column) != seen.end()) {
      problems->Add(field, absl::StrCat("column ", column, " is listed twice"));
    }
    seen.push_back(column);
  }
  const std::string& d = csv.delimiter();
  if (d.size() != 1 || d[0] == '"' || d[0] == '\n' || d[0] == '\r' || d[0] == '.' ||
      d[0] == '-' || (d[0] >= '0' && d[0] <= '9')) {
    problems->Add("data.csv.delimiter",
                  absl::StrCat("\"", absl::CEscape(d),
                               "\" is not a delimiter; must be one character other than a digit, "
                               "'.', '-', a quote or a line break (\",\", \";\", \"\\t\", ...)"));
  }
  if (!CsvConfig::Normalization_IsValid(csv.normalization()) ||
      csv.normalization() == CsvConfig::NORMALIZATION_UNSPECIFIED) {
    problems->Add("data.csv.normalization", "must be one of NONE, MIN_MAX, Z_SCORE");
  }
  if (config.model().has_cnn()) {
    problems->Add("model.cnn", "needs images; CSV rows are 1 x d features: use softmax or mlp");
  }
}

void CheckData(const DataConfig& data, Problems* problems) {
  if (!DataConfig::Dataset_IsValid(data.dataset()) ||
      data.dataset() == DataConfig::DATASET_UNSPECIFIED) {
    problems->Add("data.dataset", absl::StrCat(data.dataset(),
                                               " is not a dataset; must be one of MNIST, "
                                               "FASHION_MNIST, IDX, CSV"));
  }
  if (data.dataset() == DataConfig::IDX && data.dir().empty()) {
    problems->Add("data.dir",
                  "empty; required when data.dataset is IDX (the folder of the four "
                  "IDX files)");
  }
  if (!DataConfig::Distribution_IsValid(data.distribution()) ||
      data.distribution() == DataConfig::DISTRIBUTION_UNSPECIFIED) {
    problems->Add("data.distribution",
                  absl::StrCat(data.distribution(),
                               " is not a distribution; must be one of FULLY_REPLICATED, "
                               "SHARDED_BY_KEY, GLOBAL_BATCH_SLICE"));
  }
  problems->CheckInteger("data.objects", data.objects(), 1, kMaxObjects);
  if (data.train_limit() != 0 && data.objects() > data.train_limit()) {
    problems->Add("data.objects",
                  absl::StrCat(data.objects(), " objects cannot be cut from data.train_limit ",
                               data.train_limit(),
                               " examples; must be at most data.train_limit (every object "
                               "holds at least one example)"));
  }
  if (!DataConfig::Grouping_IsValid(data.grouping()) ||
      data.grouping() == DataConfig::GROUPING_UNSPECIFIED) {
    problems->Add("data.grouping", absl::StrCat(data.grouping(),
                                                " is not a grouping; must be one of SHUFFLED, "
                                                "BY_LABEL, DIRICHLET"));
  }
  if (data.grouping() == DataConfig::DIRICHLET) {
    problems->CheckReal("data.dirichlet_alpha", data.dirichlet_alpha(), {0.001, false, 10000, false});
  } else if (data.dirichlet_alpha() != 0) {
    problems->Add("data.dirichlet_alpha", "is set, but only grouping DIRICHLET uses it");
  }
  if (data.object_weights_size() > 0 &&
      data.object_weights_size() != static_cast<int>(data.objects())) {
    problems->Add("data.object_weights",
                  absl::StrCat(data.object_weights_size(), " weights for ", data.objects(),
                               " objects (data.objects); give one weight per object, or none"));
  }
  for (int i = 0; i < data.object_weights_size(); ++i) {
    problems->CheckReal(absl::StrCat("data.object_weights[", i, "]"), data.object_weights(i),
                        {0, true, 1e6, false});
  }
}

}  // namespace

absl::Status ValidateRunConfig(const RunConfig& config) {
  Problems problems;
  CheckName(config.name(), &problems);
  if (config.output_dir().empty()) {
    problems.Add("output_dir", "empty; must name a folder (default \"out\")");
  }
  internal::CheckWorkers(config, &problems);
  CheckModel(config.model(), &problems);
  CheckData(config.data(), &problems);
  CheckCsv(config, &problems);
  CheckOptimizer(config.optimizer(), &problems);
  CheckTrain(config, &problems);
  internal::CheckStrategy(config, &problems);
  internal::CheckSupervision(config, &problems);
  internal::CheckCluster(config, &problems);
  return problems.ToStatus();
}

std::vector<std::string> Advice(const RunConfig& config) {
  std::vector<std::string> lines;
  const bool synchronous =
      config.has_allreduce() || (config.has_parameter_server() &&
                                 config.parameter_server().mode() == ParameterServerStrategy::SYNC);
  const DataConfig::Distribution distribution = config.data().distribution();
  if (synchronous && config.workers() > 1 && distribution != DataConfig::GLOBAL_BATCH_SLICE &&
      DataConfig::Distribution_IsValid(distribution)) {
    lines.push_back(absl::StrCat(
        "data.distribution: ", DataConfig::Distribution_Name(distribution), " with synchronous ",
        config.has_allreduce() ? "allreduce" : "parameter_server (SYNC)", " on ", config.workers(),
        " workers; GLOBAL_BATCH_SLICE is recommended: it makes the run the same computation as one "
        "worker with ",
        config.workers(), " times the batch"));
  }
  return lines;
}

}  // namespace distsim::config
