// Each layer against an independent truth: naive loops for forward passes, and central finite
// differences in double precision for every gradient a backward function produces.
#include "kernels/layers.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <vector>

#include "tests/kernels/test_util.h"

namespace distsim::kernels {
namespace {

using testing::ExpectGradientMatches;
using testing::NormalVector;
using Vd = std::vector<double>;

double Dot(const Vd& a, const Vd& b) {
  EXPECT_EQ(a.size(), b.size());
  return std::inner_product(a.begin(), a.end(), b.begin(), 0.0);
}

// ---- Dense ----

TEST(DenseTest, ForwardMatchesNaiveLoops) {
  const int in = 7, out = 5, batch = 4;
  Vd w = NormalVector(out * in, 1), b = NormalVector(out, 2), x = NormalVector(in * batch, 3);
  Vd y(out * batch);
  DenseForward(w.data(), b.data(), x.data(), in, out, batch, y.data());
  for (int s = 0; s < batch; ++s) {
    for (int o = 0; o < out; ++o) {
      double sum = b[o];
      for (int i = 0; i < in; ++i) sum += w[o * in + i] * x[s * in + i];
      EXPECT_NEAR(y[s * out + o], sum, 1e-12);
    }
  }
}

TEST(DenseTest, GradientsMatchFiniteDifferences) {
  const int in = 7, out = 5, batch = 4;
  Vd w = NormalVector(out * in, 1), b = NormalVector(out, 2), x = NormalVector(in * batch, 3);
  const Vd r = NormalVector(out * batch, 4);
  Vd y(out * batch);
  auto f = [&] {
    DenseForward(w.data(), b.data(), x.data(), in, out, batch, y.data());
    return Dot(r, y);
  };
  Vd dw(w.size()), db(b.size()), dx(x.size());
  DenseBackward(w.data(), x.data(), r.data(), in, out, batch, dw.data(), db.data(), dx.data());
  ExpectGradientMatches(f, w.data(), dw.data(), w.size(), "dense dw", {.samples = 1000});
  ExpectGradientMatches(f, b.data(), db.data(), b.size(), "dense db", {.samples = 1000});
  ExpectGradientMatches(f, x.data(), dx.data(), x.size(), "dense dx", {.samples = 1000});
  // Without dx the parameter gradients are unchanged.
  Vd dw2(w.size()), db2(b.size());
  DenseBackward(w.data(), x.data(), r.data(), in, out, batch, dw2.data(), db2.data(),
                static_cast<double*>(nullptr));
  EXPECT_EQ(dw, dw2);
  EXPECT_EQ(db, db2);
}

// ---- ReLU and dropout ----

TEST(ReluTest, ForwardAndGradient) {
  const int n = 64;
  Vd x = NormalVector(n, 5), y(n);
  const Vd r = NormalVector(n, 6);
  ReluForward(x.data(), n, y.data());
  for (int i = 0; i < n; ++i) EXPECT_EQ(y[i], x[i] > 0 ? x[i] : 0.0);
  auto f = [&] {
    ReluForward(x.data(), n, y.data());
    return Dot(r, y);
  };
  f();
  Vd dx(n);
  ReluBackward(y.data(), r.data(), n, dx.data());
  ExpectGradientMatches(f, x.data(), dx.data(), n, "relu dx", {.samples = n});
}

TEST(DropoutTest, MaskIsSeededScaledAndHasTheRightRate) {
  const int64_t n = 100000;
  const double p = 0.4;
  Vd x(n, 1.0), y(n), scale(n), y2(n), scale2(n), y3(n), scale3(n);
  DropoutForward(p, 42, 0, n, x.data(), y.data(), scale.data());
  DropoutForward(p, 42, 0, n, x.data(), y2.data(), scale2.data());
  DropoutForward(p, 43, 0, n, x.data(), y3.data(), scale3.data());
  EXPECT_EQ(scale, scale2);
  EXPECT_NE(scale, scale3);
  int64_t kept = 0;
  for (int64_t i = 0; i < n; ++i) {
    ASSERT_TRUE(scale[i] == 0.0 || scale[i] == 1.0 / (1.0 - p));
    kept += scale[i] != 0.0;
  }
  // Binomial(n, 0.6): standard deviation about 155.
  EXPECT_NEAR(static_cast<double>(kept) / n, 1.0 - p, 0.006);
  // The element index, not the call, decides: a slice starting at first_index sees the same mask.
  Vd part(1000), part_scale(1000);
  DropoutForward(p, 42, 500, 1000, x.data() + 500, part.data(), part_scale.data());
  EXPECT_TRUE(std::equal(part_scale.begin(), part_scale.end(), scale.begin() + 500));
}

TEST(DropoutTest, GradientMatchesFiniteDifferences) {
  const int n = 60;
  Vd x = NormalVector(n, 7), y(n), scale(n);
  const Vd r = NormalVector(n, 8);
  auto f = [&] {
    DropoutForward(0.4, 9, 0, n, x.data(), y.data(), scale.data());
    return Dot(r, y);
  };
  f();
  Vd dx(n);
  DropoutBackward(scale.data(), r.data(), n, dx.data());
  ExpectGradientMatches(f, x.data(), dx.data(), n, "dropout dx", {.samples = n});
}

// ---- Softmax cross-entropy ----

TEST(SoftmaxCrossEntropyTest, MatchesNaiveFormulaAndCountsCorrect) {
  const int classes = 5, batch = 4;
  Vd logits = NormalVector(classes * batch, 10, 2.0);
  const std::vector<int32_t> labels = {0, 3, 4, 1};
  double expected = 0;
  int expected_correct = 0;
  for (int b = 0; b < batch; ++b) {
    double z = 0;
    int best = 0;
    for (int c = 0; c < classes; ++c) {
      z += std::exp(logits[b * classes + c]);
      if (logits[b * classes + c] > logits[b * classes + best]) best = c;
    }
    expected += -std::log(std::exp(logits[b * classes + labels[b]]) / z) / batch;
    expected_correct += best == labels[b];
  }
  int correct = 0;
  EXPECT_NEAR(SoftmaxCrossEntropy(logits.data(), labels.data(), classes, batch,
                                  static_cast<double*>(nullptr), &correct),
              expected, 1e-12);
  EXPECT_EQ(correct, expected_correct);
}

TEST(SoftmaxCrossEntropyTest, StableForHugeLogits) {
  std::vector<float> logits = {1000.f, 0.f, -1000.f, 50000.f};
  const std::vector<int32_t> labels = {1, 0};
  std::vector<float> d(4);
  const float loss = SoftmaxCrossEntropy(logits.data(), labels.data(), 2, 2, d.data(), nullptr);
  EXPECT_TRUE(std::isfinite(loss));
  EXPECT_NEAR(loss, (1000.f + 51000.f) / 2, 1.f);
  for (float v : d) EXPECT_TRUE(std::isfinite(v));
}

TEST(SoftmaxCrossEntropyTest, GradientMatchesFiniteDifferences) {
  const int classes = 6, batch = 5;
  Vd logits = NormalVector(classes * batch, 11, 2.0);
  const std::vector<int32_t> labels = {5, 0, 2, 2, 3};
  Vd d(logits.size());
  SoftmaxCrossEntropy(logits.data(), labels.data(), classes, batch, d.data(), nullptr);
  auto f = [&] {
    return SoftmaxCrossEntropy(logits.data(), labels.data(), classes, batch,
                               static_cast<double*>(nullptr), nullptr);
  };
  ExpectGradientMatches(f, logits.data(), d.data(), logits.size(), "xent dlogits",
                        {.samples = 100});
}

// ---- Convolution ----

// Direct 'same' convolution on HWC images with {out, kh, kw, in} weights.
Vd NaiveConv(const ConvShape& s, const Vd& w, const Vd& b, const Vd& x) {
  const int pad = s.kernel / 2;
  Vd y(s.pixels() * s.out_channels);
  for (int oh = 0; oh < s.height; ++oh)
    for (int ow = 0; ow < s.width; ++ow)
      for (int o = 0; o < s.out_channels; ++o) {
        double sum = b[o];
        for (int kh = 0; kh < s.kernel; ++kh)
          for (int kw = 0; kw < s.kernel; ++kw) {
            const int ih = oh + kh - pad, iw = ow + kw - pad;
            if (ih < 0 || ih >= s.height || iw < 0 || iw >= s.width) continue;
            for (int c = 0; c < s.in_channels; ++c)
              sum += w[((o * s.kernel + kh) * s.kernel + kw) * s.in_channels + c] *
                     x[(ih * s.width + iw) * s.in_channels + c];
          }
        y[(oh * s.width + ow) * s.out_channels + o] = sum;
      }
  return y;
}

class ConvTest : public ::testing::TestWithParam<ConvShape> {};

TEST_P(ConvTest, ForwardMatchesDirectConvolution) {
  const ConvShape s = GetParam();
  const Vd w = NormalVector(s.weight_size(), 12), b = NormalVector(s.out_channels, 13);
  const Vd x = NormalVector(s.pixels() * s.in_channels, 14);
  Vd col(s.col_size()), y(s.pixels() * s.out_channels);
  Conv2dForward(s, w.data(), b.data(), x.data(), col.data(), y.data());
  const Vd expected = NaiveConv(s, w, b, x);
  for (size_t i = 0; i < y.size(); ++i) ASSERT_NEAR(y[i], expected[i], 1e-10) << i;
}

TEST_P(ConvTest, Col2ImIsTheAdjointOfIm2Col) {
  const ConvShape s = GetParam();
  const Vd x = NormalVector(s.pixels() * s.in_channels, 15);
  const Vd c = NormalVector(s.col_size(), 16);
  Vd col(s.col_size()), back(x.size());
  Im2Col(s, x.data(), col.data());
  Col2Im(s, c.data(), back.data());
  EXPECT_NEAR(Dot(col, c), Dot(x, back), 1e-9);
}

TEST_P(ConvTest, GradientsMatchFiniteDifferences) {
  const ConvShape s = GetParam();
  Vd w = NormalVector(s.weight_size(), 17), b = NormalVector(s.out_channels, 18);
  Vd x = NormalVector(s.pixels() * s.in_channels, 19);
  const Vd r = NormalVector(s.pixels() * s.out_channels, 20);
  Vd col(s.col_size()), y(r.size());
  auto f = [&] {
    Conv2dForward(s, w.data(), b.data(), x.data(), col.data(), y.data());
    return Dot(r, y);
  };
  Vd dw(w.size(), 0.0), db(b.size(), 0.0), dx(x.size());
  Conv2dBackward(s, w.data(), x.data(), r.data(), col.data(), dw.data(), db.data(), dx.data());
  ExpectGradientMatches(f, w.data(), dw.data(), w.size(), "conv dw", {.samples = 60});
  ExpectGradientMatches(f, b.data(), db.data(), b.size(), "conv db", {.samples = 60});
  ExpectGradientMatches(f, x.data(), dx.data(), x.size(), "conv dx", {.samples = 60});

  // Parameter gradients accumulate: a second call adds the same amount again.
  Vd dw2 = dw, db2 = db;
  Conv2dBackward(s, w.data(), x.data(), r.data(), col.data(), dw2.data(), db2.data(),
                 static_cast<double*>(nullptr));
  for (size_t i = 0; i < dw.size(); ++i) ASSERT_NEAR(dw2[i], 2 * dw[i], 1e-9);
  for (size_t i = 0; i < db.size(); ++i) ASSERT_NEAR(db2[i], 2 * db[i], 1e-9);
}

INSTANTIATE_TEST_SUITE_P(Shapes, ConvTest,
                         ::testing::Values(ConvShape{6, 5, 3, 4, 5},   // non-square, pad > half
                                           ConvShape{8, 8, 1, 3, 5},   // single input channel
                                           ConvShape{7, 4, 2, 3, 3},   // 3x3 kernel
                                           ConvShape{3, 3, 2, 2, 5},   // image smaller than kernel
                                           ConvShape{3, 4, 1, 2, 5}),  // ditto, one channel
                         [](const auto& info) {
                           const ConvShape& s = info.param;
                           return std::to_string(s.height) + "x" + std::to_string(s.width) + "x" +
                                  std::to_string(s.in_channels) + "_to_" +
                                  std::to_string(s.out_channels) + "_k" + std::to_string(s.kernel);
                         });

TEST(ConvTest, MnistConv2ShapeInFloatMatchesDoubleDirectConvolution) {
  const ConvShape s{14, 14, 32, 64, 5};
  const Vd w = NormalVector(s.weight_size(), 21, 0.05), b = NormalVector(64, 22);
  const Vd x = testing::UniformVector(s.pixels() * 32, 23, 0, 1);
  const Vd expected = NaiveConv(s, w, b, x);
  const auto wf = testing::Cast<float>(w), bf = testing::Cast<float>(b),
             xf = testing::Cast<float>(x);
  std::vector<float> col(s.col_size()), y(expected.size());
  Conv2dForward(s, wf.data(), bf.data(), xf.data(), col.data(), y.data());
  for (size_t i = 0; i < y.size(); ++i) ASSERT_NEAR(y[i], expected[i], 1e-4) << i;
}

// ---- Max-pool ----

TEST(MaxPoolTest, ForwardPicksTheWindowMaximumAndRecordsWhere) {
  const int h = 6, w = 4, c = 3;
  const Vd x = NormalVector(h * w * c, 24);
  Vd y(h * w * c / 4);
  std::vector<int32_t> argmax(y.size());
  MaxPool2x2Forward(h, w, c, x.data(), y.data(), argmax.data());
  for (int oh = 0; oh < h / 2; ++oh)
    for (int ow = 0; ow < w / 2; ++ow)
      for (int ch = 0; ch < c; ++ch) {
        double best = -1e300;
        for (int dh = 0; dh < 2; ++dh)
          for (int dw = 0; dw < 2; ++dw)
            best = std::max(best, x[((2 * oh + dh) * w + 2 * ow + dw) * c + ch]);
        const int i = (oh * (w / 2) + ow) * c + ch;
        EXPECT_EQ(y[i], best);
        EXPECT_EQ(x[argmax[i]], best);
      }
}

TEST(MaxPoolTest, TiesGoToTheFirstElementInScanOrder) {
  const std::vector<float> x = {1, 1, 1, 1};  // 2x2x1
  float y;
  int32_t argmax;
  MaxPool2x2Forward(2, 2, 1, x.data(), &y, &argmax);
  EXPECT_EQ(argmax, 0);
}

TEST(MaxPoolTest, GradientMatchesFiniteDifferences) {
  const int h = 6, w = 4, c = 3;
  Vd x = NormalVector(h * w * c, 25);
  const Vd r = NormalVector(h * w * c / 4, 26);
  Vd y(r.size());
  std::vector<int32_t> argmax(r.size());
  auto f = [&] {
    MaxPool2x2Forward(h, w, c, x.data(), y.data(), argmax.data());
    return Dot(r, y);
  };
  f();
  Vd dx(x.size(), 123.0);  // overwritten, including the zeros
  MaxPool2x2Backward(h, w, c, r.data(), argmax.data(), dx.data());
  ExpectGradientMatches(f, x.data(), dx.data(), x.size(), "maxpool dx", {.samples = 1000});
}

}  // namespace
}  // namespace distsim::kernels
