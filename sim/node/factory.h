// Turns the config's model and optimizer messages into kernels objects (and the optimizer's
// learning-rate schedule).
#ifndef DISTSIM_SIM_NODE_FACTORY_H_
#define DISTSIM_SIM_NODE_FACTORY_H_

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "distsim/config.pb.h"
#include "kernels/model.h"
#include "kernels/optimizer.h"
#include "sim/strategy/lr_schedule.h"

namespace distsim::node {

// A model for images of rows x cols pixels and `num_classes` classes. Config values are assumed
// validated; a shape the model cannot take (a CNN on images not divisible by 4) is an
// InvalidArgument naming the field.
absl::StatusOr<std::unique_ptr<kernels::Model<float>>> MakeModel(const ModelConfig& config,
                                                                  int rows, int cols,
                                                                  int num_classes);

// An optimizer over `size` parameters. Defaults must already be filled in (WithDefaults).
absl::StatusOr<std::unique_ptr<kernels::Optimizer<float>>> MakeOptimizer(
    const OptimizerConfig& config, int64_t size);

// The learning rate `config` gives its optimizer (the learning_rate of the kind set; 0 if none
// is set). MakeOptimizer's optimizers start at this rate.
float BaseLearningRate(const OptimizerConfig& config);

// What the exchanges and parameter-server shards apply to MakeOptimizer's optimizers:
// {BaseLearningRate(config), config.warmup_steps()}. Without warm-up it leaves them alone.
strategy::LearningRateSchedule LearningRateScheduleOf(const OptimizerConfig& config);

}  // namespace distsim::node

#endif  // DISTSIM_SIM_NODE_FACTORY_H_
