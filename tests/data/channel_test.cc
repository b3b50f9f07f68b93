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
  const auto written = fs::last_write_time(store.dir + "/train-00000-of-00005.images.idx");
  // The same cut again reuses the folder; another seed or alpha makes another.
  EXPECT_EQ(Store(spec).dir, store.dir);
  EXPECT_EQ(fs::last_write_time(store.dir + "/train-00000-of-00005.images.idx"), written);
  EXPECT_NE(Store(spec, 8).dir, store.dir);
  DistributionSpec other = spec;
  other.dirichlet_alpha = 0.6;
  EXPECT_NE(Store(other).dir, store.dir);
  // Each object's files hold its examples, in its order, byte for byte.
  for (size_t k = 0; k < store.ids.size(); ++k) {
    const ObjectFileNames names = ObjectFilesOf(ObjectKey(static_cast<int64_t>(k), 5));
    auto object = Dataset::Open(store.dir + "/" + names.images, store.dir + "/" + names.labels);
    ASSERT_TRUE(object.ok()) << object.status();
    EXPECT_EQ(*ReadIdxIds(store.dir + "/" + names.ids), store.ids[k]);
    ASSERT_EQ(object->size(), static_cast<int64_t>(store.ids[k].size()));
    for (int64_t j = 0; j < object->size(); ++j) {
      EXPECT_EQ(object->label(j), train_.label(store.ids[k][j]));
      EXPECT_EQ(0, std::memcmp(object->image(j), train_.image(store.ids[k][j]), 30));
    }
    EXPECT_DOUBLE_EQ(store.bytes[k],
                     static_cast<double>(fs::file_size(store.dir + "/" + names.images) +
                                         fs::file_size(store.dir + "/" + names.labels) +
                                         fs::file_size(store.dir + "/" + names.ids)));
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
            (std::set<std::string>{"train-00001-of-00005.ids.idx", "train-00001-of-00005.images.idx",
                                   "train-00001-of-00005.labels.idx", "train-00003-of-00005.ids.idx",
                                   "train-00003-of-00005.images.idx",
                                   "train-00003-of-00005.labels.idx"}));
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
  fs::remove(part.dir + "/train-00002-of-00005.ids.idx");
  auto broken = OpenTrainChannel(part.dir);
  EXPECT_EQ(broken.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(broken.status().message(), HasSubstr("train-00002-of-00005.ids.idx"));
}

TEST(ObjectsDatasetDeathTest, ReadingAnotherHostsExampleIsABug) {
  const fs::path dir = fs::temp_directory_path() / ("distsim_objects_death_" +
                                                   std::to_string(getpid()));
  fs::create_directories(dir);
  const std::vector<uint8_t> pixels(3 * 4, 9), labels = {1, 2, 3};
  ASSERT_TRUE(WriteIdxImages((dir / "a.images").string(), 2, 2, pixels).ok());
  ASSERT_TRUE(WriteIdxLabels((dir / "a.labels").string(), labels).ok());
  auto data = Dataset::OpenObjects(
      {{(dir / "a.images").string(), (dir / "a.labels").string(), {5, 0, 9}}});
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->size(), 3);
  EXPECT_EQ(data->id_limit(), 10);
  EXPECT_FALSE(data->dense());
  EXPECT_EQ(data->label(9), 3);
  EXPECT_DEATH(data->label(4), "holds");
  auto twice = Dataset::OpenObjects(
      {{(dir / "a.images").string(), (dir / "a.labels").string(), {5, 5, 9}}});
  EXPECT_THAT(twice.status().message(), HasSubstr("held twice"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace distsim::data
