#include "sim/node/factory.h"

#include <vector>

#include "absl/strings/str_cat.h"

namespace distsim::node {

absl::StatusOr<std::unique_ptr<kernels::Model<float>>> MakeModel(const ModelConfig& config,
                                                                  int rows, int cols,
                                                                  int num_classes) {
  const int input_dim = rows * cols;
  switch (config.kind_case()) {
    case ModelConfig::kSoftmax:
      return kernels::MakeSoftmax<float>(input_dim, num_classes);
    case ModelConfig::kMlp: {
      std::vector<int> hidden(config.mlp().hidden().begin(), config.mlp().hidden().end());
      if (hidden.empty()) hidden.push_back(128);
      return kernels::MakeMlp<float>(std::move(hidden), input_dim, num_classes);
    }
    case ModelConfig::kCnn: {
      if (rows % 4 != 0 || cols % 4 != 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("model.cnn: the CNN pools twice by 2, so image height and width must be "
                         "divisible by 4; the data has ",
                         rows, "x", cols));
      }
      const CnnModel& c = config.cnn();
      kernels::CnnShape shape;
      shape.height = rows;
      shape.width = cols;
      if (c.conv1_channels()) shape.conv1_channels = static_cast<int>(c.conv1_channels());
      if (c.conv2_channels()) shape.conv2_channels = static_cast<int>(c.conv2_channels());
      if (c.dense_units()) shape.dense_units = static_cast<int>(c.dense_units());
      if (c.has_dropout()) shape.dropout = c.dropout();
      shape.num_classes = num_classes;
      return kernels::MakeCnn<float>(shape);
    }
    default:
      return absl::InvalidArgumentError("model: no model set; choose softmax, mlp or cnn");
  }
}

absl::StatusOr<std::unique_ptr<kernels::Optimizer<float>>> MakeOptimizer(
    const OptimizerConfig& config, int64_t size) {
  switch (config.kind_case()) {
    case OptimizerConfig::kSgd:
      return kernels::MakeSgd<float>(size, config.sgd().learning_rate());
    case OptimizerConfig::kMomentum: {
      const auto& m = config.momentum();
      return kernels::MakeMomentum<float>(size, m.learning_rate(),
                                          m.has_momentum() ? m.momentum() : 0.9f, m.nesterov());
    }
    case OptimizerConfig::kAdam: {
      const auto& a = config.adam();
      return kernels::MakeAdam<float>(size, a.learning_rate(), a.has_beta1() ? a.beta1() : 0.9f,
                                      a.has_beta2() ? a.beta2() : 0.999f,
                                      a.has_epsilon() ? a.epsilon() : 1e-8f);
    }
    default:
      return absl::InvalidArgumentError("optimizer: no optimizer set; choose sgd, momentum or adam");
  }
}

float BaseLearningRate(const OptimizerConfig& config) {
  switch (config.kind_case()) {
    case OptimizerConfig::kSgd:
      return config.sgd().learning_rate();
    case OptimizerConfig::kMomentum:
      return config.momentum().learning_rate();
    case OptimizerConfig::kAdam:
      return config.adam().learning_rate();
    default:
      return 0;
  }
}

strategy::LearningRateSchedule LearningRateScheduleOf(const OptimizerConfig& config) {
  strategy::LearningRateSchedule schedule;
  schedule.base = BaseLearningRate(config);
  schedule.warmup_steps = config.warmup_steps();
  return schedule;
}

}  // namespace distsim::node
