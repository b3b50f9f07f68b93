// Each model learns a small synthetic classification problem (class prototypes plus noise) to at
// least 95% training accuracy within a bounded number of steps. A sign error anywhere in a forward
// or backward pass fails this.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "kernels/model.h"
#include "kernels/optimizer.h"
#include "kernels/random.h"

namespace distsim::kernels {
namespace {

struct Dataset {
  int dim = 0;
  std::vector<float> x;  // dim x n, column-major
  std::vector<int32_t> labels;
};

// n examples of `classes` prototypes in [0,1]^dim, each pixel perturbed by N(0, noise^2) and
// clamped to [0, 1] like image data.
Dataset MakePrototypeData(int dim, int classes, int n, double noise, uint64_t seed) {
  Dataset d;
  d.dim = dim;
  const uint64_t proto_key = StreamKey(seed, 1), noise_key = StreamKey(seed, 2);
  std::vector<double> protos(int64_t{dim} * classes);
  for (size_t i = 0; i < protos.size(); ++i) protos[i] = RandomUniform(proto_key, i);
  d.x.resize(int64_t{dim} * n);
  d.labels.resize(n);
  for (int e = 0; e < n; ++e) {
    const int c = e % classes;
    d.labels[e] = c;
    for (int i = 0; i < dim; ++i) {
      const double v = protos[int64_t{c} * dim + i] +
                       noise * RandomNormal(noise_key, static_cast<uint64_t>(e) * dim + i);
      d.x[int64_t{e} * dim + i] = static_cast<float>(std::clamp(v, 0.0, 1.0));
    }
  }
  return d;
}

// Trains with minibatches cycling through the data; returns the training accuracy reached, checked
// every `eval_every` steps, stopping as soon as it is >= 0.95 or after max_steps.
double TrainUntilAccurate(Model<float>& model, Optimizer<float>& opt, const Dataset& data,
                          int batch, int max_steps, int eval_every, int* steps_taken) {
  const int64_t n = model.layout().size();
  const int examples = static_cast<int>(data.labels.size());
  std::vector<float> params(n), grads(n);
  model.Init(42, params.data());
  double accuracy = 0;
  for (int step = 1; step <= max_steps; ++step) {
    const int start = ((step - 1) * batch) % (examples - batch + 1);
    model.TrainStep(params.data(), data.x.data() + int64_t{start} * data.dim,
                    data.labels.data() + start, batch, step, grads.data(), nullptr);
    opt.Step(params, grads);
    if (step % eval_every == 0 || step == max_steps) {
      double loss = 0;
      int64_t correct = 0;
      model.Evaluate(params.data(), data.x.data(), data.labels.data(), examples, &loss, &correct);
      accuracy = static_cast<double>(correct) / examples;
      *steps_taken = step;
      if (accuracy >= 0.95) break;
    }
  }
  return accuracy;
}

TEST(LearningTest, SoftmaxLearnsPrototypes) {
  const Dataset data = MakePrototypeData(784, 10, 640, 0.5, 1);
  auto model = MakeSoftmax<float>();
  auto opt = MakeSgd<float>(model->layout().size(), 0.1f);
  int steps = 0;
  EXPECT_GE(TrainUntilAccurate(*model, *opt, data, 64, 200, 10, &steps), 0.95);
  RecordProperty("steps", steps);
}

TEST(LearningTest, MlpLearnsPrototypes) {
  const Dataset data = MakePrototypeData(784, 10, 640, 0.5, 2);
  auto model = MakeMlp<float>();
  auto opt = MakeMomentum<float>(model->layout().size(), 0.05f, 0.9f, false);
  int steps = 0;
  EXPECT_GE(TrainUntilAccurate(*model, *opt, data, 64, 200, 10, &steps), 0.95);
  RecordProperty("steps", steps);
}

TEST(LearningTest, CnnLearnsPrototypes) {
  // The full-size MNIST CNN with dropout 0.4.
  const Dataset data = MakePrototypeData(784, 10, 320, 0.5, 3);
  auto model = MakeCnn<float>(CnnShape{});
  auto opt = MakeAdam<float>(model->layout().size(), 1e-3f, 0.9f, 0.999f, 1e-8f);
  int steps = 0;
  EXPECT_GE(TrainUntilAccurate(*model, *opt, data, 32, 120, 10, &steps), 0.95);
  RecordProperty("steps", steps);
}

TEST(LearningTest, SmallCnnLearnsPrototypesWithNesterov) {
  CnnShape shape;
  shape.height = 12;
  shape.width = 16;
  shape.conv1_channels = 6;
  shape.conv2_channels = 8;
  shape.dense_units = 32;
  shape.num_classes = 4;
  const Dataset data = MakePrototypeData(12 * 16, 4, 400, 0.4, 4);
  auto model = MakeCnn<float>(shape);
  auto opt = MakeMomentum<float>(model->layout().size(), 0.02f, 0.9f, true);
  int steps = 0;
  EXPECT_GE(TrainUntilAccurate(*model, *opt, data, 32, 400, 10, &steps), 0.95);
  RecordProperty("steps", steps);
}

}  // namespace
}  // namespace distsim::kernels
