// ValidateRunConfig: every range the schema's comments state, all problems reported at once.
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sim/config/config.h"

namespace distsim::config {
namespace {

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

// A real interval with open or closed ends, printed the mathematical way: "(0, 10]".
struct Interval {
  double low;
  bool low_open;
  double high;
  bool high_open;

  bool Contains(double v) const {
    // Written so that NaN is outside every interval.
    bool above = low_open ? v > low : v >= low;
    bool below = high_open ? v < high : v <= high;
    return above && below;
  }
  std::string ToString() const {
    return absl::StrCat(low_open ? "(" : "[", low, ", ", high, high_open ? ")" : "]");
  }
};

constexpr Interval kLearningRateRange{0, true, kMaxLearningRate, false};  // (0, 10]
constexpr Interval kProbabilityRange{0, false, 1, true};                  // [0, 1)
constexpr Interval kEpsilonRange{0, true, 1, true};                       // (0, 1)
constexpr Interval kEpochsRange{0, true, kMaxEpochs, false};              // (0, 1000]

// The list of problems found so far, one line each.
class Problems {
 public:
  void Add(const std::string& field, const std::string& problem) {
    lines_.push_back(absl::StrCat(field, ": ", problem));
  }

  void CheckInteger(const std::string& field, uint64_t value, uint64_t low, uint64_t high) {
    if (value >= low && value <= high) return;
    Add(field, absl::StrCat(value, " is out of range; must be in [", low, ", ", high, "]"));
  }

  void CheckReal(const std::string& field, double value, const Interval& range) {
    if (range.Contains(value)) return;
    Add(field,
        absl::StrCat(value, " is out of range; must be ",
                     std::isfinite(value) ? "" : "a finite number ", "in ", range.ToString()));
  }

  absl::Status ToStatus() const {
    if (lines_.empty()) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrJoin(lines_, "\n"));
  }

 private:
  std::vector<std::string> lines_;
};

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
}

void CheckTrain(const TrainConfig& train, Problems* problems) {
  problems->CheckInteger("train.batch_size", train.batch_size(), 1, kMaxBatchSize);
  switch (train.length_case()) {
    case TrainConfig::kSteps:
      problems->CheckInteger("train.steps", train.steps(), 1, kMaxSteps);
      break;
    case TrainConfig::kEpochs:
      problems->CheckReal("train.epochs", train.epochs(), kEpochsRange);
      break;
    case TrainConfig::LENGTH_NOT_SET:
      problems->Add("train.steps/train.epochs",
                    absl::StrCat("neither is set; set exactly one: steps in [1, ", kMaxSteps,
                                 "] or epochs in ", kEpochsRange.ToString()));
      break;
  }
  problems->CheckInteger("train.threads", train.threads(), 0, kMaxThreads);
}

void CheckData(const DataConfig& data, Problems* problems) {
  if (!DataConfig::Dataset_IsValid(data.dataset()) ||
      data.dataset() == DataConfig::DATASET_UNSPECIFIED) {
    problems->Add("data.dataset", absl::StrCat(data.dataset(),
                                               " is not a dataset; must be one of MNIST, "
                                               "FASHION_MNIST, IDX"));
  }
  if (data.dataset() == DataConfig::IDX && data.dir().empty()) {
    problems->Add("data.dir",
                  "empty; required when data.dataset is IDX (the folder of the four "
                  "IDX files)");
  }
}

}  // namespace

absl::Status ValidateRunConfig(const RunConfig& config) {
  Problems problems;
  CheckName(config.name(), &problems);
  if (config.output_dir().empty()) {
    problems.Add("output_dir", "empty; must name a folder (default \"out\")");
  }
  CheckModel(config.model(), &problems);
  CheckData(config.data(), &problems);
  CheckOptimizer(config.optimizer(), &problems);
  CheckTrain(config.train(), &problems);
  if (config.strategy_case() == RunConfig::STRATEGY_NOT_SET) {
    problems.Add("strategy", "not set; must be one of local (e.g. 'local {}')");
  }
  return problems.ToStatus();
}

}  // namespace distsim::config
