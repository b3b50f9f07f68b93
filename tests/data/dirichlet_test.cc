// The DIRICHLET grouping and weighted object sizes: the draws against their known moments, the
// partition exact, reproducible by seed, and skewed the way alpha says.
#include "sim/data/dirichlet.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/data/distribution.h"

namespace distsim::data {
namespace {

using ::testing::HasSubstr;

std::vector<int32_t> CyclicLabels(int64_t n, int classes) {
  std::vector<int32_t> labels(n);
  for (int64_t i = 0; i < n; ++i) labels[i] = static_cast<int32_t>(i % classes);
  return labels;
}

DistributionSpec DirichletCut(int64_t objects, double alpha) {
  DistributionSpec spec;
  spec.objects = objects;
  spec.grouping = Grouping::kDirichlet;
  spec.dirichlet_alpha = alpha;
  return spec;
}

// Shannon entropy (nats) of the labels of one object.
double LabelEntropy(const std::vector<int64_t>& object, const std::vector<int32_t>& labels,
                    int classes) {
  std::vector<double> counts(classes, 0);
  for (int64_t i : object) ++counts[labels[i]];
  double h = 0;
  for (double c : counts) {
    if (c > 0) h -= c / object.size() * std::log(c / object.size());
  }
  return h;
}

double MeanEntropy(const std::vector<std::vector<int64_t>>& objects,
                   const std::vector<int32_t>& labels, int classes) {
  double sum = 0;
  for (const std::vector<int64_t>& o : objects) sum += LabelEntropy(o, labels, classes);
  return sum / objects.size();
}

TEST(GammaTest, MeanAndVarianceMatchTheShape) {
  // Gamma(a, 1) has mean a and variance a; 20,000 draws put the sample mean within a few
  // standard errors (sqrt(a / 20000)) of a.
  for (double shape : {0.1, 0.5, 1.0, 3.0, 50.0}) {
    SplitMix64 rng(17);
    const int n = 20000;
    double sum = 0, sum2 = 0;
    for (int i = 0; i < n; ++i) {
      const double x = SampleGamma(shape, rng);
      ASSERT_GE(x, 0);
      sum += x;
      sum2 += x * x;
    }
    const double mean = sum / n;
    const double var = sum2 / n - mean * mean;
    EXPECT_NEAR(mean, shape, 5 * std::sqrt(shape / n)) << "shape " << shape;
    EXPECT_NEAR(var, shape, 0.1 * shape + 0.01) << "shape " << shape;
  }
}

TEST(DirichletTest, DrawsSumToOneWithTheExpectedMeans) {
  const std::vector<double> concentration = {0.5, 1.0, 2.5};  // means 0.125, 0.25, 0.625
  SplitMix64 rng(3);
  std::vector<double> mean(3, 0);
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    std::vector<double> q = SampleDirichlet(concentration, rng);
    EXPECT_NEAR(q[0] + q[1] + q[2], 1.0, 1e-12);
    for (int c = 0; c < 3; ++c) mean[c] += q[c] / n;
  }
  EXPECT_NEAR(mean[0], 0.125, 0.01);
  EXPECT_NEAR(mean[1], 0.25, 0.01);
  EXPECT_NEAR(mean[2], 0.625, 0.01);
}

TEST(DirichletTest, TinyConcentrationsStillGiveADistribution) {
  const std::vector<double> concentration(10, 1e-9);
  SplitMix64 rng(5);
  std::vector<double> q = SampleDirichlet(concentration, rng);
  EXPECT_NEAR(std::accumulate(q.begin(), q.end(), 0.0), 1.0, 1e-12);
}

TEST(DirichletObjectsTest, ReproducibleBySeedAndDifferentAcrossSeeds) {
  const std::vector<int32_t> labels = CyclicLabels(3000, 10);
  const auto a = *MakeObjects(labels, DirichletCut(12, 0.5), 7);
  const auto b = *MakeObjects(labels, DirichletCut(12, 0.5), 7);
  const auto c = *MakeObjects(labels, DirichletCut(12, 0.5), 8);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(DirichletObjectsTest, SkewGrowsAsAlphaFalls) {
  // 10 balanced classes: an IID object has entropy log(10) = 2.30 nats, a one-class object 0.
  const std::vector<int32_t> labels = CyclicLabels(10000, 10);
  std::vector<double> entropy;
  for (double alpha : {1000.0, 10.0, 1.0, 0.1}) {
    double sum = 0;
    for (uint64_t seed : {1, 2, 3}) {
      sum += MeanEntropy(*MakeObjects(labels, DirichletCut(20, alpha), seed), labels, 10);
    }
    entropy.push_back(sum / 3);
  }
  EXPECT_GT(entropy[0], 2.25);  // nearly IID
  for (size_t i = 1; i < entropy.size(); ++i) {
    EXPECT_LT(entropy[i], entropy[i - 1]) << "alpha step " << i;
  }
  EXPECT_LT(entropy[3], 1.2);  // alpha 0.1: a few classes per object
}

TEST(ObjectWeightsTest, SizesFollowTheWeightsAndCoverTheSet) {
  const std::vector<int32_t> labels = CyclicLabels(1000, 10);
  for (Grouping grouping : {Grouping::kShuffled, Grouping::kByLabel, Grouping::kDirichlet}) {
    DistributionSpec spec;
    spec.objects = 4;
    spec.grouping = grouping;
    spec.object_weights = {1, 1, 2, 4};  // 125, 125, 250, 500
    const auto objects = *MakeObjects(labels, spec, 3);
    ASSERT_EQ(objects.size(), 4u);
    EXPECT_EQ(objects[0].size(), 125u);
    EXPECT_EQ(objects[1].size(), 125u);
    EXPECT_EQ(objects[2].size(), 250u);
    EXPECT_EQ(objects[3].size(), 500u);
    std::vector<int64_t> all;
    for (const auto& o : objects) all.insert(all.end(), o.begin(), o.end());
    std::sort(all.begin(), all.end());
    std::vector<int64_t> expected(1000);
    std::iota(expected.begin(), expected.end(), 0);
    EXPECT_EQ(all, expected) << GroupingName(grouping);
  }
}

TEST(ObjectWeightsTest, RoundingGivesEveryObjectAtLeastOneExample) {
  // 10 examples, weights 1 : 1000 : 1000: exact shares 0.005, 4.998, 4.998.
  DistributionSpec spec;
  spec.objects = 3;
  spec.object_weights = {1, 1000, 1000};
  const auto objects = *MakeObjects(CyclicLabels(10, 2), spec, 1);
  EXPECT_EQ(objects[0].size(), 1u);
  EXPECT_EQ(objects[0].size() + objects[1].size() + objects[2].size(), 10u);
}

TEST(ObjectWeightsTest, AWrongNumberOfWeightsIsRefused) {
  DistributionSpec spec;
  spec.objects = 3;
  spec.object_weights = {1, 2};
  absl::StatusOr<std::vector<std::vector<int64_t>>> objects =
      MakeObjects(CyclicLabels(10, 2), spec, 1);
  ASSERT_FALSE(objects.ok());
  EXPECT_THAT(objects.status().message(), HasSubstr("data.object_weights"));
}

}  // namespace
}  // namespace distsim::data
