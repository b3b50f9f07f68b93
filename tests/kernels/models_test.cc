// Models: parameter layout, initialisation, gradients by finite differences (every tensor of every
// model), float/double agreement, Evaluate, and bit-for-bit determinism of training.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include "kernels/model.h"
#include "kernels/optimizer.h"
#include "kernels/param_layout.h"
#include "tests/kernels/test_util.h"

namespace distsim::kernels {
namespace {

using testing::Cast;
using testing::ExpectGradientMatches;
using testing::NormalVector;
using testing::UniformVector;

// A CNN small enough for finite differences over a sample of every tensor.
CnnShape SmallCnn(float dropout = 0.4f) {
  CnnShape s;
  s.height = 8;
  s.width = 8;
  s.conv1_channels = 3;
  s.conv2_channels = 4;
  s.dense_units = 6;
  s.dropout = dropout;
  s.num_classes = 5;
  return s;
}

std::vector<int32_t> Labels(int batch, int classes) {
  std::vector<int32_t> l(batch);
  for (int i = 0; i < batch; ++i) l[i] = (i * 7 + 3) % classes;
  return l;
}

// ---- ParamLayout ----

TEST(ParamLayoutTest, TensorsAreLaidEndToEnd) {
  ParamLayout layout;
  EXPECT_EQ(layout.Add("a/weight", {3, 4}), 0);
  EXPECT_EQ(layout.Add("a/bias", {3}), 12);
  EXPECT_EQ(layout.Add("b/weight", {2, 1, 5, 5}), 15);
  EXPECT_EQ(layout.size(), 65);
  ASSERT_EQ(layout.tensors().size(), 3u);
  const TensorSpec& b = layout.Find("b/weight");
  EXPECT_EQ(b.offset, 15);
  EXPECT_EQ(b.size, 50);
  EXPECT_EQ(b.shape, (std::vector<int64_t>{2, 1, 5, 5}));
}

TEST(ParamLayoutDeathTest, DuplicateAndUnknownNamesAbort) {
  ParamLayout layout;
  layout.Add("x", {2});
  EXPECT_DEATH(layout.Add("x", {3}), "check failed");
  EXPECT_DEATH(layout.Find("y"), "no tensor named 'y'");
}

TEST(ModelLayoutTest, ParameterCounts) {
  EXPECT_EQ(MakeSoftmax<float>()->layout().size(), 784 * 10 + 10);
  EXPECT_EQ(MakeMlp<float>()->layout().size(), 784 * 128 + 128 + 128 * 10 + 10);
  const auto cnn = MakeCnn<float>(CnnShape{});
  EXPECT_EQ(cnn->layout().size(), 3274634);
  EXPECT_EQ(cnn->input_dim(), 784);
  EXPECT_EQ(cnn->num_classes(), 10);
  const ParamLayout& l = cnn->layout();
  EXPECT_EQ(l.Find("conv1/weight").shape, (std::vector<int64_t>{32, 5, 5, 1}));
  EXPECT_EQ(l.Find("conv2/weight").shape, (std::vector<int64_t>{64, 5, 5, 32}));
  EXPECT_EQ(l.Find("dense1/weight").shape, (std::vector<int64_t>{1024, 3136}));
  EXPECT_EQ(l.Find("dense2/weight").shape, (std::vector<int64_t>{10, 1024}));
  EXPECT_EQ(l.Find("dense2/bias").offset + 10, l.size());
  // Forward+backward FLOPs: about 82 MFLOP per example (conv1 has no input gradient).
  EXPECT_NEAR(cnn->TrainFlopsPerExample() / 1e6, 82.0, 0.5);
}

// ---- Init ----

TEST(InitTest, DeterministicBoundedAndBiasesZero) {
  std::vector<std::unique_ptr<Model<double>>> models;
  models.push_back(MakeMlp<double>({32, 16}, 20, 5));
  models.push_back(MakeCnn<double>(SmallCnn()));
  for (const auto& model : models) {
    const ParamLayout& l = model->layout();
    std::vector<double> a(l.size()), b(l.size()), c(l.size());
    model->Init(5, a.data());
    model->Init(5, b.data());
    model->Init(6, c.data());
    EXPECT_EQ(a, b) << model->name();
    EXPECT_NE(a, c) << model->name();
    for (const TensorSpec& t : l.tensors()) {
      double max_abs = 0, sum = 0;
      for (int64_t i = t.offset; i < t.offset + t.size; ++i) {
        max_abs = std::max(max_abs, std::abs(a[i]));
        sum += a[i];
      }
      if (t.shape.size() == 1) {
        EXPECT_EQ(max_abs, 0.0) << t.name;
      } else {
        // Uniform(-limit, limit) with limit sqrt(6 / fan_in) at most (He).
        const double fan_in = static_cast<double>(t.size / t.shape[0]);
        EXPECT_LE(max_abs, std::sqrt(6.0 / fan_in)) << t.name;
        EXPECT_GT(max_abs, 0.5 * std::sqrt(6.0 / (fan_in + t.shape[0]))) << t.name;
      }
    }
  }
}

TEST(InitTest, FloatIsTheRoundedDouble) {
  const auto d = MakeMlp<double>();
  const auto f = MakeMlp<float>();
  std::vector<double> pd(d->layout().size());
  std::vector<float> pf(f->layout().size());
  d->Init(9, pd.data());
  f->Init(9, pf.data());
  for (size_t i = 0; i < pd.size(); ++i) ASSERT_EQ(pf[i], static_cast<float>(pd[i])) << i;
}

// ---- Gradients of every model, every tensor ----

void CheckModelGradients(Model<double>& model, int batch, uint64_t dropout_seed) {
  const ParamLayout& l = model.layout();
  std::vector<double> params(l.size()), grads(l.size()), scratch(l.size());
  model.Init(11, params.data());
  // Non-zero biases, so bias gradients are checked at a general point.
  const std::vector<double> noise = NormalVector(l.size(), 12, 0.1);
  for (const TensorSpec& t : l.tensors())
    if (t.shape.size() == 1)
      for (int64_t i = t.offset; i < t.offset + t.size; ++i) params[i] = noise[i];
  const std::vector<double> x = NormalVector(int64_t{model.input_dim()} * batch, 13);
  const std::vector<int32_t> labels = Labels(batch, model.num_classes());
  model.TrainStep(params.data(), x.data(), labels.data(), batch, dropout_seed, grads.data(),
                  nullptr);
  auto f = [&] {
    return model.TrainStep(params.data(), x.data(), labels.data(), batch, dropout_seed,
                           scratch.data(), nullptr);
  };
  for (const TensorSpec& t : l.tensors()) {
    ExpectGradientMatches(f, params.data() + t.offset, grads.data() + t.offset, t.size,
                          model.name() + " " + t.name, {.samples = 24});
  }
}

TEST(ModelGradientTest, Softmax) {
  auto model = MakeSoftmax<double>(30, 7);
  CheckModelGradients(*model, 5, 0);
}

TEST(ModelGradientTest, Mlp) {
  auto model = MakeMlp<double>({16, 12}, 20, 5);
  CheckModelGradients(*model, 6, 0);
}

TEST(ModelGradientTest, SmallCnnWithDropout) {
  auto model = MakeCnn<double>(SmallCnn(0.4f));
  CheckModelGradients(*model, 3, 1234);
}

TEST(ModelGradientTest, SmallCnnWithoutDropoutNonSquare) {
  CnnShape s = SmallCnn(0.0f);
  s.width = 12;
  auto model = MakeCnn<double>(s);
  CheckModelGradients(*model, 2, 0);
}

// ---- TrainStep contract ----

TEST(TrainStepTest, OverwritesGradsAndCountsCorrect) {
  auto model = MakeCnn<float>(SmallCnn());
  const int64_t n = model->layout().size();
  std::vector<float> params(n), g1(n, 0.f), g2(n, std::numeric_limits<float>::quiet_NaN());
  model->Init(1, params.data());
  const int batch = 4;
  const auto x = Cast<float>(UniformVector(int64_t{model->input_dim()} * batch, 2, 0, 1));
  const auto labels = Labels(batch, model->num_classes());
  int c1 = -1, c2 = -1;
  const float l1 =
      model->TrainStep(params.data(), x.data(), labels.data(), batch, 3, g1.data(), &c1);
  const float l2 =
      model->TrainStep(params.data(), x.data(), labels.data(), batch, 3, g2.data(), &c2);
  EXPECT_EQ(l1, l2);
  EXPECT_EQ(g1, g2);
  EXPECT_EQ(c1, c2);
  EXPECT_GE(c1, 0);
  EXPECT_LE(c1, batch);
  // Another dropout seed, another mask, another loss.
  EXPECT_NE(model->TrainStep(params.data(), x.data(), labels.data(), batch, 4, g2.data(), nullptr),
            l1);
}

TEST(EvaluateTest, MatchesTrainStepWithoutDropoutAcrossChunks) {
  // 300 examples: more than one internal evaluation chunk.
  std::vector<std::unique_ptr<Model<double>>> models;
  models.push_back(MakeMlp<double>({24}, 20, 5));
  models.push_back(MakeCnn<double>(SmallCnn(0.0f)));
  for (const auto& model : models) {
    const int batch = 300;
    const int64_t n = model->layout().size();
    std::vector<double> params(n), grads(n);
    model->Init(3, params.data());
    const auto x = UniformVector(int64_t{model->input_dim()} * batch, 4, 0, 1);
    const auto labels = Labels(batch, model->num_classes());
    int correct = 0;
    const double mean =
        model->TrainStep(params.data(), x.data(), labels.data(), batch, 0, grads.data(), &correct);
    double loss_sum = 0.5;  // Evaluate adds
    int64_t eval_correct = 2;
    model->Evaluate(params.data(), x.data(), labels.data(), batch, &loss_sum, &eval_correct);
    EXPECT_NEAR(loss_sum - 0.5, mean * batch, 1e-9 * batch) << model->name();
    EXPECT_EQ(eval_correct - 2, correct) << model->name();
  }
}

// ---- float and double agree ----

template <typename MakeFn>
void CheckFloatMatchesDouble(MakeFn make, int batch) {
  auto md = make(double{});
  auto mf = make(float{});
  const int64_t n = md->layout().size();
  std::vector<double> pd(n), gd(n);
  md->Init(21, pd.data());
  const auto pf = Cast<float>(pd);
  std::vector<float> gf(n);
  const auto xd = UniformVector(int64_t{md->input_dim()} * batch, 22, 0, 1);
  const auto xf = Cast<float>(xd);
  const auto labels = Labels(batch, md->num_classes());
  const double ld =
      md->TrainStep(pd.data(), xd.data(), labels.data(), batch, 5, gd.data(), nullptr);
  const float lf = mf->TrainStep(pf.data(), xf.data(), labels.data(), batch, 5, gf.data(), nullptr);
  EXPECT_NEAR(lf, ld, 1e-5 * std::abs(ld)) << md->name();
  double max_g = 0, max_diff = 0;
  for (int64_t i = 0; i < n; ++i) {
    max_g = std::max(max_g, std::abs(gd[i]));
    max_diff = std::max(max_diff, std::abs(gd[i] - gf[i]));
  }
  EXPECT_LT(max_diff, 1e-4 * max_g) << md->name();
  double sd = 0, sf = 0;
  int64_t cd = 0, cf = 0;
  md->Evaluate(pd.data(), xd.data(), labels.data(), batch, &sd, &cd);
  mf->Evaluate(pf.data(), xf.data(), labels.data(), batch, &sf, &cf);
  EXPECT_NEAR(sf, sd, 1e-5 * std::abs(sd)) << md->name();
}

TEST(FloatDoubleTest, SoftmaxAgrees) {
  CheckFloatMatchesDouble([](auto t) { return MakeSoftmax<decltype(t)>(); }, 16);
}
TEST(FloatDoubleTest, MlpAgrees) {
  CheckFloatMatchesDouble([](auto t) { return MakeMlp<decltype(t)>(); }, 16);
}
TEST(FloatDoubleTest, FullSizeCnnAgrees) {
  CheckFloatMatchesDouble([](auto t) { return MakeCnn<decltype(t)>(CnnShape{}); }, 4);
}

// ---- Determinism of training ----

template <typename T>
std::vector<T> TrainFewSteps(Model<T>& model, uint64_t seed, int steps) {
  const int64_t n = model.layout().size();
  std::vector<T> params(n), grads(n);
  model.Init(seed, params.data());
  auto opt = MakeAdam<T>(n, T(1e-3), T(0.9), T(0.999), T(1e-8));
  const int batch = 8;
  for (int s = 0; s < steps; ++s) {
    const auto x = Cast<T>(UniformVector(int64_t{model.input_dim()} * batch, 100 + s, 0, 1));
    const auto labels = Labels(batch, model.num_classes());
    model.TrainStep(params.data(), x.data(), labels.data(), batch, seed * 1000 + s, grads.data(),
                    nullptr);
    opt->Step(params, grads);
  }
  return params;
}

TEST(DeterminismTest, SameSeedSameBitsDifferentSeedDifferent) {
  for (auto make : {+[] { return MakeMlp<float>(); }, +[] { return MakeCnn<float>(CnnShape{}); }}) {
    auto m1 = make(), m2 = make();
    const auto a = TrainFewSteps(*m1, 7, 4);
    const auto b = TrainFewSteps(*m2, 7, 4);  // a fresh model object
    const auto c = TrainFewSteps(*m1, 7, 4);  // the same object, scratch reused
    const auto d = TrainFewSteps(*m1, 8, 4);
    ASSERT_EQ(a.size(), b.size());
    EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0) << m1->name();
    EXPECT_EQ(std::memcmp(a.data(), c.data(), a.size() * sizeof(float)), 0) << m1->name();
    EXPECT_NE(a, d) << m1->name();
  }
}

// Results must not depend on where the caller's buffers happen to sit in memory (Eigen peels
// unaligned heads in some reductions; a worker's buffers land at arbitrary addresses).
TEST(DeterminismTest, IndependentOfBufferAlignment) {
  std::vector<std::unique_ptr<Model<float>>> models;
  models.push_back(MakeSoftmax<float>());
  models.push_back(MakeMlp<float>({128, 33}));
  models.push_back(MakeCnn<float>(CnnShape{}));
  for (const auto& model : models) {
    for (int batch : {1, 7}) {
      const int64_t n = model->layout().size();
      std::vector<float> p0(n),
          x0 = Cast<float>(UniformVector(int64_t{model->input_dim()} * batch, 5, 0, 1));
      model->Init(3, p0.data());
      const auto labels = Labels(batch, model->num_classes());
      std::vector<float> reference;
      for (int shift : {0, 1, 2, 3, 5, 7}) {
        std::vector<float> p(n + 8), x(x0.size() + 8), g(n + 8);
        std::copy(p0.begin(), p0.end(), p.begin() + shift);
        std::copy(x0.begin(), x0.end(), x.begin() + shift);
        model->TrainStep(p.data() + shift, x.data() + shift, labels.data(), batch, 9,
                         g.data() + shift, nullptr);
        std::vector<float> grads(g.begin() + shift, g.begin() + shift + n);
        if (shift == 0) {
          reference = grads;
        } else {
          EXPECT_EQ(std::memcmp(grads.data(), reference.data(), n * sizeof(float)), 0)
              << model->name() << " batch " << batch << " shift " << shift;
        }
      }
    }
  }
}

}  // namespace
}  // namespace distsim::kernels
