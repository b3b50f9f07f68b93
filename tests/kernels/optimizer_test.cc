// Optimizers against values worked out by hand (small literal sequences) and against a textbook
// scalar implementation written independently here.
#include "kernels/optimizer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <span>
#include <vector>

namespace distsim::kernels {
namespace {

// Gradient of each step for a one-parameter problem starting at p = 0.
const std::vector<double> kGrads = {1.0, 2.0, 3.0};

std::vector<double> RunSteps(Optimizer<double>& opt, double p0 = 0.0) {
  std::vector<double> p = {p0}, trace;
  for (double g : kGrads) {
    std::vector<double> grad = {g};
    opt.Step(p, grad);
    trace.push_back(p[0]);
  }
  return trace;
}

TEST(SgdTest, HandComputed) {
  auto opt = MakeSgd<double>(1, 0.1);
  const auto t = RunSteps(*opt);
  // p -= 0.1 g: -0.1, -0.3, -0.6.
  EXPECT_NEAR(t[0], -0.1, 1e-15);
  EXPECT_NEAR(t[1], -0.3, 1e-15);
  EXPECT_NEAR(t[2], -0.6, 1e-15);
  EXPECT_EQ(opt->steps(), 3);
}

TEST(MomentumTest, HandComputed) {
  auto opt = MakeMomentum<double>(1, 0.1, 0.9, false);
  const auto t = RunSteps(*opt);
  // v: 1, 0.9 + 2 = 2.9, 2.61 + 3 = 5.61. p: -0.1, -0.39, -0.951.
  EXPECT_NEAR(t[0], -0.1, 1e-14);
  EXPECT_NEAR(t[1], -0.39, 1e-14);
  EXPECT_NEAR(t[2], -0.951, 1e-14);
}

TEST(MomentumTest, NesterovHandComputed) {
  auto opt = MakeMomentum<double>(1, 0.1, 0.9, true);
  const auto t = RunSteps(*opt);
  // v as above; p -= 0.1 (g + 0.9 v): 0.19, 0.461, 0.8049.
  EXPECT_NEAR(t[0], -0.19, 1e-14);
  EXPECT_NEAR(t[1], -0.651, 1e-14);
  EXPECT_NEAR(t[2], -1.4559, 1e-14);
}

TEST(AdamTest, FirstStepMovesByLearningRateTimesSign) {
  // m_hat = g and v_hat = g^2 after one step, so p -= lr * g / (|g| + eps).
  auto opt = MakeAdam<double>(3, 0.01, 0.9, 0.999, 1e-8);
  std::vector<double> p = {1.0, 1.0, 1.0};
  const std::vector<double> g = {5.0, -0.25, 0.0};
  opt->Step(p, g);
  EXPECT_NEAR(p[0], 1.0 - 0.01 * 5.0 / (5.0 + 1e-8), 1e-15);
  EXPECT_NEAR(p[1], 1.0 + 0.01 * 0.25 / (0.25 + 1e-8), 1e-15);
  EXPECT_EQ(p[2], 1.0);
}

TEST(AdamTest, HandComputedThreeSteps) {
  auto opt = MakeAdam<double>(1, 0.1, 0.9, 0.999, 1e-8);
  const auto t = RunSteps(*opt);
  // Step 1: m = 0.1, v = 0.001; m_hat = 1, v_hat = 1: p = -0.1 / (1 + 1e-8).
  const double p1 = -0.1 / (1 + 1e-8);
  // Step 2: m = 0.09 + 0.2 = 0.29, v = 0.000999 + 0.004 = 0.004999;
  // m_hat = 0.29 / 0.19, v_hat = 0.004999 / 0.001999.
  const double p2 = p1 - 0.1 * (0.29 / 0.19) / (std::sqrt(0.004999 / 0.001999) + 1e-8);
  // Step 3: m = 0.261 + 0.3 = 0.561, v = 0.004994001 + 0.009 = 0.013994001;
  // bias corrections 1 - 0.729 = 0.271 and 1 - 0.997002999 = 0.002997001.
  const double p3 = p2 - 0.1 * (0.561 / 0.271) / (std::sqrt(0.013994001 / 0.002997001) + 1e-8);
  EXPECT_NEAR(t[0], p1, 1e-14);
  EXPECT_NEAR(t[1], p2, 1e-13);
  EXPECT_NEAR(t[2], p3, 1e-13);
  // Sanity of the arithmetic above: p2 is about -0.1 - 0.0965.
  EXPECT_NEAR(p2, -0.19652, 1e-4);
}

// Textbook Adam on one scalar, element by element, to compare a longer run over many elements.
struct ScalarAdam {
  double m = 0, v = 0;
  int t = 0;
  double Step(double p, double g, double lr, double b1, double b2, double eps) {
    ++t;
    m = b1 * m + (1 - b1) * g;
    v = b2 * v + (1 - b2) * g * g;
    const double m_hat = m / (1 - std::pow(b1, t));
    const double v_hat = v / (1 - std::pow(b2, t));
    return p - lr * m_hat / (std::sqrt(v_hat) + eps);
  }
};

TEST(AdamTest, FloatSpanMatchesScalarReference) {
  const int n = 37;  // not a multiple of the SIMD width
  auto opt = MakeAdam<float>(n, 0.01f, 0.8f, 0.99f, 1e-6f);
  std::vector<float> p(n);
  std::vector<double> ref(n);
  std::vector<ScalarAdam> state(n);
  for (int i = 0; i < n; ++i) ref[i] = p[i] = 0.1f * static_cast<float>(i - n / 2);
  for (int step = 0; step < 5; ++step) {
    std::vector<float> g(n);
    for (int i = 0; i < n; ++i) {
      g[i] = std::sin(0.7f * i + step) * (1 + i % 3);
      ref[i] = state[i].Step(ref[i], g[i], 0.01, 0.8f, 0.99f, 1e-6f);
    }
    opt->Step(p, g);
  }
  for (int i = 0; i < n; ++i) EXPECT_NEAR(p[i], ref[i], 1e-5) << i;
  EXPECT_EQ(opt->steps(), 5);
}

// A parameter-server shard updates a sub-range with its own optimizer: the bits must equal those of
// one optimizer over the whole span, wherever the shard boundary and the buffer alignment fall.
TEST(OptimizerTest, ShardedUpdatesMatchWholeSpanBitForBit) {
  const int n = 1001, split = 333;
  std::vector<std::unique_ptr<Optimizer<float>>> whole, left, right;
  auto make = [](int64_t size) {
    std::vector<std::unique_ptr<Optimizer<float>>> v;
    v.push_back(MakeSgd<float>(size, 0.05f));
    v.push_back(MakeMomentum<float>(size, 0.05f, 0.9f, false));
    v.push_back(MakeMomentum<float>(size, 0.05f, 0.9f, true));
    v.push_back(MakeAdam<float>(size, 0.01f, 0.9f, 0.999f, 1e-8f));
    return v;
  };
  whole = make(n);
  left = make(split);
  right = make(n - split);
  for (size_t k = 0; k < whole.size(); ++k) {
    std::vector<float> a(n), b(n + 3);  // b is offset by 3 floats: another alignment
    for (int i = 0; i < n; ++i) a[i] = b[i + 3] = std::cos(0.37f * i);
    for (int step = 0; step < 4; ++step) {
      std::vector<float> g(n);
      for (int i = 0; i < n; ++i) g[i] = std::sin(1.3f * i + step) * (1 + i % 5);
      whole[k]->Step(a, g);
      left[k]->Step(std::span<float>(b.data() + 3, split), std::span<const float>(g.data(), split));
      right[k]->Step(std::span<float>(b.data() + 3 + split, n - split),
                     std::span<const float>(g.data() + split, n - split));
    }
    EXPECT_EQ(std::memcmp(a.data(), b.data() + 3, n * sizeof(float)), 0) << whole[k]->name();
  }
}

// An optimizer's state (momentum buffer, Adam moments and step count) does not depend on the
// learning rate, so after set_learning_rate(b) an optimizer made with rate a steps exactly like one
// made with b that saw the same gradients.
TEST(OptimizerTest, SetLearningRateStepsLikeAnOptimizerMadeWithThatRate) {
  const int n = 257;
  auto make = [](float lr) {
    std::vector<std::unique_ptr<Optimizer<float>>> v;
    v.push_back(MakeSgd<float>(n, lr));
    v.push_back(MakeMomentum<float>(n, lr, 0.9f, false));
    v.push_back(MakeMomentum<float>(n, lr, 0.9f, true));
    v.push_back(MakeAdam<float>(n, lr, 0.9f, 0.999f, 1e-8f));
    return v;
  };
  const float a = 0.05f, b = 0.0123f;
  auto changed = make(a), made_a = make(a), made_b = make(b);
  auto grad = [](int step) {
    std::vector<float> g(n);
    for (int i = 0; i < n; ++i) g[i] = std::sin(0.7f * i + step) * (1 + i % 3);
    return g;
  };
  for (size_t k = 0; k < changed.size(); ++k) {
    SCOPED_TRACE(changed[k]->name());
    EXPECT_EQ(changed[k]->learning_rate(), a);
    std::vector<float> scratch_changed(n), scratch_b(n), scratch_a(n);
    for (int step = 0; step < 3; ++step) {  // the same gradients; params are thrown away
      changed[k]->Step(scratch_changed, grad(step));
      made_b[k]->Step(scratch_b, grad(step));
      made_a[k]->Step(scratch_a, grad(step));
    }
    std::vector<float> p(n);
    for (int i = 0; i < n; ++i) p[i] = std::cos(0.37f * i);
    // At rate b: the same bits as the optimizer made with b.
    changed[k]->set_learning_rate(b);
    EXPECT_EQ(changed[k]->learning_rate(), b);
    std::vector<float> p_changed = p, p_b = p;
    changed[k]->Step(p_changed, grad(3));
    made_b[k]->Step(p_b, grad(3));
    EXPECT_EQ(std::memcmp(p_changed.data(), p_b.data(), n * sizeof(float)), 0);
    EXPECT_NE(p_changed, p);
    // Back at rate a: the same bits as the optimizer that always had a (its state still equal).
    made_a[k]->Step(scratch_a, grad(3));
    changed[k]->set_learning_rate(a);
    std::vector<float> q_changed = p, q_a = p;
    changed[k]->Step(q_changed, grad(4));
    made_a[k]->Step(q_a, grad(4));
    EXPECT_EQ(std::memcmp(q_changed.data(), q_a.data(), n * sizeof(float)), 0);
    EXPECT_EQ(changed[k]->steps(), 5);
  }
}

TEST(WarmupLearningRateTest, RisesLinearlyThenStaysAtBase) {
  // warmup 4: updates 0..3 get base/4, 2base/4, 3base/4, base; then base.
  EXPECT_DOUBLE_EQ(WarmupLearningRate(0.4, 0, 4), 0.1);
  EXPECT_DOUBLE_EQ(WarmupLearningRate(0.4, 1, 4), 0.2);
  EXPECT_DOUBLE_EQ(WarmupLearningRate(0.4, 2, 4), 0.4 * 3 / 4);
  EXPECT_EQ(WarmupLearningRate(0.4, 3, 4), 0.4);
  EXPECT_EQ(WarmupLearningRate(0.4, 1000, 4), 0.4);
  EXPECT_EQ(WarmupLearningRate(0.3f, 1, 3), static_cast<float>(0.3f * 2.0 / 3.0));
  // No warm-up: exactly base, every update.
  EXPECT_EQ(WarmupLearningRate(0.3f, 0, 0), 0.3f);
  EXPECT_EQ(WarmupLearningRate(0.3f, 0, 1), 0.3f);
  EXPECT_EQ(WarmupLearningRate(0.3f, -5, 0), 0.3f);
  EXPECT_EQ(WarmupLearningRate(0.3f, -5, 10), static_cast<float>(0.3f * 1.0 / 10.0));
}

TEST(OptimizerDeathTest, WrongSpanSizeAborts) {
  auto opt = MakeSgd<float>(4, 0.1f);
  std::vector<float> p(3), g(3);
  EXPECT_DEATH(opt->Step(p, g), "check failed");
}

}  // namespace
}  // namespace distsim::kernels
