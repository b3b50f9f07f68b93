// The object store and the channels: objects written once as files, each host's channel folder
// holding exactly its keys, and a worker reading its channel getting the very batches it would
// have drawn from the whole set (the whole set is the independent truth).
#include "sim/data/channel.h"

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/data/distribution.h"
#include "sim/data/idx.h"
#include "sim/data/mapped_file.h"
#include "sim/data/object_file.h"
#include "sim/data/object_store.h"
#include "tests/testing/synthetic_data_test.h"

namespace distsim::data {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class ChannelTest : public testing::SyntheticDataTest {
 protected:
  data::SyntheticSpec Spec() const override {
    data::SyntheticSpec spec;
    spec.train_size = 203;  // not a multiple of the objects or batches
    spec.test_size = 20;
    spec.rows = 6;
    spec.cols = 5;
    spec.seed = 9;
    return spec;
  }

  void SetUp() override {
    testing::SyntheticDataTest::SetUp();
    auto sets = OpenIdxDir(data_dir(), 0, 0);
    ASSERT_TRUE(sets.ok()) << sets.status();
    train_ = sets->first;
    test_ = sets->second;
  }

  DistributionSpec SpecOf(Distribution d, Grouping g = Grouping::kDirichlet) const {
    DistributionSpec spec;
    spec.distribution = d;
    spec.objects = 5;
    spec.grouping = g;
    spec.dirichlet_alpha = 0.5;
    return spec;
  }

  ObjectStore Store(const DistributionSpec& spec, uint64_t seed = 7) {
    auto store = MakeObjectStore(train_, spec, seed, (dir_ / "objects").string());
    EXPECT_TRUE(store.ok()) << store.status();
    return *store;
  }

  // Lays host `host`'s channels holding `keys` and opens its train channel.
  Channel Lay(const ObjectStore& store, const std::vector<int64_t>& keys, int host,
              double* bytes = nullptr) {
    const std::string data = HostDataDir((dir_ / "run").string(), host);
    auto laid = LayChannels(store, keys, test_.images_path(), test_.labels_path(), data);
    EXPECT_TRUE(laid.ok()) << laid.status();
    if (bytes != nullptr) *bytes = *laid;
    auto channel = OpenTrainChannel(data + "/train");
    EXPECT_TRUE(channel.ok()) << channel.status();
    return *std::move(channel);
  }

  Dataset train_;
  Dataset test_;
};

std::set<std::string> FileNames(const std::string& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

TEST_F(ChannelTest, TheStoreHoldsEveryExampleOnceAndIsWrittenOnce) {
  const DistributionSpec spec = SpecOf(Distribution::kShardedByKey);
  const ObjectStore store = Store(spec);
  ASSERT_EQ(store.ids.size(), 5u);
  EXPECT_EQ(store.ids, *MakeObjects(Labels(train_), spec, 7));
  const auto written = fs::last_write_time(store.dir + "/train-00000-of-00005.dsobj");
  // The same cut again reuses the folder; another seed or alpha makes another.
  EXPECT_EQ(Store(spec).dir, store.dir);
  EXPECT_EQ(fs::last_write_time(store.dir + "/train-00000-of-00005.dsobj"), written);
  EXPECT_NE(Store(spec, 8).dir, store.dir);
  DistributionSpec other = spec;
  other.dirichlet_alpha = 0.6;
  EXPECT_NE(Store(other).dir, store.dir);
  // Each object's file holds its examples, in its order, byte for byte: read back by hand from
  // the layout (a 32-byte header, then IDX images, labels and ids).
  for (size_t k = 0; k < store.ids.size(); ++k) {
    const std::string path = store.dir + "/" + ObjectFileName(static_cast<int64_t>(k), 5);
    auto file = MappedFile::Open(path);
    ASSERT_TRUE(file.ok()) << file.status();
    const int64_t n = static_cast<int64_t>(store.ids[k].size());
    ASSERT_EQ(static_cast<int64_t>(file->size()), 32 + (16 + 30 * n) + (8 + n) + (8 + 4 * n));
    EXPECT_EQ(0, std::memcmp(file->data(), "DSOBJ01\n", 8));
    const uint8_t* pixels = file->data() + 32 + 16;
    const uint8_t* labels = pixels + 30 * n + 8;
    const uint8_t* ids = labels + n + 8;
    for (int64_t j = 0; j < n; ++j) {
      const int64_t id = (int64_t{ids[4 * j]} << 24) | (ids[4 * j + 1] << 16) |
                         (ids[4 * j + 2] << 8) | ids[4 * j + 3];
      EXPECT_EQ(id, store.ids[k][j]);
      EXPECT_EQ(labels[j], train_.label(id));
      EXPECT_EQ(0, std::memcmp(pixels + 30 * j, train_.image(id), 30));
    }
    EXPECT_DOUBLE_EQ(store.bytes[k], static_cast<double>(file->size()));
    EXPECT_DOUBLE_EQ(store.bytes[k], ObjectFileBytes(n, 6, 5));
  }
  // No temporary folder is left beside the stores.
  for (const auto& e : fs::directory_iterator(dir_ / "objects")) {
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos);
  }
}

TEST_F(ChannelTest, AShardedHostsChannelHoldsExactlyItsKeys) {
  const ObjectStore store = Store(SpecOf(Distribution::kShardedByKey));
  const std::vector<int64_t> keys = WorkerObjects(Distribution::kShardedByKey, 5, 1, 2);
  ASSERT_THAT(keys, ElementsAre(1, 3));
  double bytes = 0;
  const Channel channel = Lay(store, keys, 1, &bytes);
  const std::string data = HostDataDir((dir_ / "run").string(), 1);
  EXPECT_THAT(data, HasSubstr("/hosts/algo-2/input/data"));
  EXPECT_EQ(FileNames(data + "/train"),
            (std::set<std::string>{"train-00001-of-00005.dsobj", "train-00003-of-00005.dsobj"}));
  EXPECT_EQ(FileNames(data + "/test"),
            (std::set<std::string>{kTestImages, kTestLabels}));
  EXPECT_THAT(channel.keys, ElementsAre(1, 3));
  EXPECT_EQ(channel.data.size(),
            static_cast<int64_t>(store.ids[1].size() + store.ids[3].size()));
  // Bytes: the two objects' files (ObjectFileBytes, computed from the sizes) and the test set.
  const double test_bytes = 16 + 20 * 30 + 8 + 20;
  EXPECT_DOUBLE_EQ(bytes, ObjectFileBytes(store.ids[1].size(), 6, 5) +
                              ObjectFileBytes(store.ids[3].size(), 6, 5) + test_bytes);
  // It holds its own examples and no other host's.
  for (int64_t id : store.ids[3]) EXPECT_TRUE(channel.data.holds(id));
  for (int64_t id : store.ids[0]) EXPECT_FALSE(channel.data.holds(id));
}

// A worker reading its channel draws the batches it would have drawn from the whole set, and
// gathers the same pixels, under every distribution.
TEST_F(ChannelTest, ChannelSamplersGiveTheBatchesOfTheWholeSet) {
  const int workers = 2;
  const int64_t batch = 16;
  for (Distribution d : {Distribution::kShardedByKey, Distribution::kFullyReplicated,
                         Distribution::kGlobalBatchSlice}) {
    for (bool shuffle : {true, false}) {
      const DistributionSpec spec = SpecOf(d);
      const ObjectStore store = Store(spec);
      for (int w = 0; w < workers; ++w) {
        const std::vector<int64_t> keys =
            d == Distribution::kShardedByKey ? WorkerObjects(d, 5, w, workers)
                                             : WorkerObjects(Distribution::kFullyReplicated, 5,
                                                             w, workers);
        const Channel channel = Lay(store, keys, w);
        auto held = MakeHeldSampler(d, channel.ids, w, workers, batch, 7, shuffle);
        auto whole = MakeWorkerSampler(spec, train_, w, workers, batch, 7, shuffle);
        ASSERT_TRUE(held.ok()) << held.status();
        ASSERT_TRUE(whole.ok()) << whole.status();
        EXPECT_EQ((*held)->examples(), (*whole)->examples());
        for (int step = 0; step < 40; ++step) {  // several epochs
          const std::vector<int64_t> ids = (*held)->Next();
          ASSERT_EQ(ids, (*whole)->Next()) << DistributionName(d) << " worker " << w;
          std::vector<float> a(ids.size() * 30), b(ids.size() * 30);
          std::vector<int32_t> la(ids.size()), lb(ids.size());
          channel.data.Gather<float>(ids, a.data(), la.data());
          train_.Gather<float>(ids, b.data(), lb.data());
          ASSERT_EQ(a, b);
          ASSERT_EQ(la, lb);
        }
      }
    }
  }
}

TEST_F(ChannelTest, MistakesAreNamed) {
  const ObjectStore store = Store(SpecOf(Distribution::kShardedByKey));
  const Channel part = Lay(store, {0, 2}, 0);
  // A replicated or sliced reader needs every object.
  auto sampler = MakeHeldSampler(Distribution::kGlobalBatchSlice, part.ids, 0, 2, 8, 7, true);
  EXPECT_EQ(sampler.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(sampler.status().message(), HasSubstr("must hold every object"));
  // A missing channel, an empty one, an object without its ids.
  EXPECT_EQ(OpenTrainChannel((dir_ / "nowhere").string()).status().code(),
            absl::StatusCode::kNotFound);
  fs::create_directories(dir_ / "empty");
  EXPECT_THAT(OpenTrainChannel((dir_ / "empty").string()).status().message(),
              HasSubstr("holds no objects"));
  // A truncated object is named (its link is replaced by a shorter copy).
  const std::string victim = part.dir + "/train-00002-of-00005.dsobj";
  const std::string copy = (dir_ / "short.dsobj").string();
  fs::copy_file(victim, copy);
  fs::resize_file(copy, fs::file_size(copy) - 3);
  fs::remove(victim);
  fs::rename(copy, victim);
  auto broken = OpenTrainChannel(part.dir);
  EXPECT_EQ(broken.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(broken.status().message(), HasSubstr("train-00002-of-00005.dsobj"));
}

TEST(ObjectsDatasetDeathTest, ReadingAnotherHostsExampleIsABug) {
  const fs::path dir = fs::temp_directory_path() / ("distsim_objects_death_" +
                                                   std::to_string(getpid()));
  fs::create_directories(dir);
  const std::vector<uint8_t> pixels(3 * 4, 9), labels = {1, 2, 3};
  const std::string a = (dir / "a.dsobj").string(), b = (dir / "b.dsobj").string();
  ASSERT_TRUE(WriteObjectFile(a, 2, 2, pixels, labels, std::vector<int64_t>{5, 0, 9}).ok());
  ASSERT_TRUE(WriteObjectFile(b, 2, 2, pixels, labels, std::vector<int64_t>{6, 5, 1}).ok());
  auto data = Dataset::OpenObjects({a});
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->size(), 3);
  EXPECT_EQ(data->id_limit(), 10);
  EXPECT_FALSE(data->dense());
  EXPECT_EQ(data->label(9), 3);
  EXPECT_DEATH(data->label(4), "holds");
  auto twice = Dataset::OpenObjects({a, b});  // id 5 in both
  EXPECT_THAT(twice.status().message(), HasSubstr("b.dsobj: example id 5 is held twice"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace distsim::data
