// Shard maps: every parameter in exactly one shard, for both partitionings, k = 1..8 and the three
// models; balanced ranges are balanced; round-robin puts the CNN's dense-1024 layer on one shard.
#include "sim/strategy/partition.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <numeric>
#include <vector>

#include "kernels/model.h"

namespace distsim::strategy {
namespace {

std::vector<std::unique_ptr<kernels::Model<float>>> AllModels() {
  std::vector<std::unique_ptr<kernels::Model<float>>> models;
  models.push_back(kernels::MakeSoftmax<float>());
  models.push_back(kernels::MakeMlp<float>());
  models.push_back(kernels::MakeCnn<float>(kernels::CnnShape{}));
  return models;
}

TEST(PartitionTest, EveryParameterInExactlyOneShard) {
  for (const auto& model : AllModels()) {
    for (int k = 1; k <= 8; ++k) {
      for (Partitioning p : {Partitioning::kBalancedRanges, Partitioning::kRoundRobinTensors}) {
        SCOPED_TRACE(testing::Message() << model->name() << " k=" << k << " partitioning="
                                        << static_cast<int>(p));
        absl::StatusOr<ShardMap> map = PartitionParams(model->layout(), k, p);
        ASSERT_TRUE(map.ok()) << map.status();
        ASSERT_EQ(map->shards.size(), static_cast<size_t>(k));
        EXPECT_TRUE(CheckShardMap(*map).ok()) << CheckShardMap(*map);
        // Independent check: count owners per element.
        std::vector<int> owners(model->layout().size(), 0);
        for (const auto& ranges : map->shards) {
          for (const comm::Range& r : ranges) {
            for (int64_t i = r.offset; i < r.offset + r.size; ++i) ++owners[i];
          }
        }
        EXPECT_TRUE(std::all_of(owners.begin(), owners.end(), [](int o) { return o == 1; }));
        const std::vector<int64_t> bytes = BytesPerShard(*map);
        EXPECT_EQ(std::accumulate(bytes.begin(), bytes.end(), int64_t{0}),
                  model->layout().size() * 4);
      }
    }
  }
}

TEST(PartitionTest, BalancedRangesDifferByAtMostOneFloat) {
  for (const auto& model : AllModels()) {
    for (int k = 1; k <= 8; ++k) {
      const std::vector<int64_t> bytes =
          BytesPerShard(PartitionBalanced(model->layout().size(), k));
      const auto [lo, hi] = std::minmax_element(bytes.begin(), bytes.end());
      EXPECT_LE(*hi - *lo, 4) << model->name() << " k=" << k;
    }
  }
}

TEST(PartitionTest, RoundRobinPutsTheCnnDenseLayerOnOneShard) {
  auto cnn = kernels::MakeCnn<float>(kernels::CnnShape{});
  const kernels::ParamLayout& layout = cnn->layout();
  const ShardMap map = PartitionRoundRobin(layout, 2);
  const std::vector<int64_t> bytes = BytesPerShard(map);
  const auto names = TensorsPerShard(map, layout);
  // Tensors 0..7 alternate; dense1/weight is tensor 4, so shard 0.
  const int64_t dense = layout.Find("dense1/weight").size * 4;
  EXPECT_NE(std::find(names[0].begin(), names[0].end(), "dense1/weight"), names[0].end());
  EXPECT_GT(bytes[0], dense);
  EXPECT_GT(static_cast<double>(bytes[0]) / (bytes[0] + bytes[1]), 0.97);
  // Several ranges per shard, each a whole tensor.
  EXPECT_EQ(map.shards[0].size(), 4u);
  EXPECT_EQ(map.shards[1].size(), 4u);
}

TEST(PartitionTest, MoreShardsThanTensorsLeavesSomeEmpty) {
  auto softmax = kernels::MakeSoftmax<float>();
  const ShardMap map = PartitionRoundRobin(softmax->layout(), 5);
  EXPECT_TRUE(CheckShardMap(map).ok());
  EXPECT_TRUE(map.shards[4].empty());
  EXPECT_FALSE(PartitionParams(softmax->layout(), 0, Partitioning::kBalancedRanges).ok());
}

TEST(PartitionTest, CheckShardMapFindsGapsAndOverlaps) {
  ShardMap gap{10, {{{0, 4}}, {{5, 5}}}};
  EXPECT_FALSE(CheckShardMap(gap).ok());
  ShardMap overlap{10, {{{0, 6}}, {{5, 5}}}};
  EXPECT_FALSE(CheckShardMap(overlap).ok());
  ShardMap good{10, {{{0, 2}, {6, 4}}, {{2, 4}}}};
  EXPECT_TRUE(CheckShardMap(good).ok()) << CheckShardMap(good);
}

TEST(PartitionTest, GatherAndScatterFollowTheRanges) {
  comm::ShardRanges ranges = {{1, 2}, {5, 3}};
  std::vector<float> flat = {0, 1, 2, 3, 4, 5, 6, 7, 8};
  std::vector<float> local(4);
  comm::GatherLocal(ranges, 1, flat, local);  // local elements 1..4: flat 2, 5, 6, 7
  EXPECT_EQ(local, (std::vector<float>{2, 5, 6, 7}));
  std::vector<float> out(9, -1);
  comm::ScatterLocal(ranges, 1, local, out);
  EXPECT_EQ(out, (std::vector<float>{-1, -1, 2, -1, -1, 5, 6, 7, -1}));
}

}  // namespace
}  // namespace distsim::strategy
