#include "tests/app/train_tree.h"

#include <dirent.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"
#include "sim/data/channel.h"
#include "sim/data/dataset.h"
#include "sim/data/idx.h"

namespace distsim::testing {
namespace {

namespace fs = std::filesystem;

void Write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

std::string StringList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + JsonString(items[i]);
  return out + "]";
}

}  // namespace

std::string JsonString(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out + "\"";
}

void WriteHostTree(const std::string& root, const HostTree& tree, const data::ObjectStore& store,
                   const std::string& data_dir) {
  const fs::path config = fs::path(root) / "input/config";
  Write(config / "resourceconfig.json",
        "{\"current_host\": " + JsonString(tree.current_host) +
            ", \"hosts\": " + StringList(tree.hosts) +
            ", \"network_interface_name\": " + JsonString(tree.interface) + "}\n");
  std::string channels = "{\"train\": {\"TrainingInputMode\": \"File\", \"S3DistributionType\": " +
                         JsonString(tree.distribution) + ", \"RecordWrapperType\": \"None\"}";
  if (tree.test_channel) {
    channels += ", \"test\": {\"TrainingInputMode\": \"File\", "
                "\"S3DistributionType\": \"FullyReplicated\"}";
  }
  Write(config / "inputdataconfig.json", channels + "}\n");
  std::string hp = "{";
  for (const auto& [key, value] : tree.hyperparameters) {
    hp += (hp.size() > 1 ? ", " : "") + JsonString(key) + ": " + JsonString(value);
  }
  Write(config / "hyperparameters.json", hp + "}\n");
  auto laid = data::LayChannels(store, tree.keys,
                                (fs::path(data_dir) / data::kTestImages).string(),
                                (fs::path(data_dir) / data::kTestLabels).string(),
                                (fs::path(root) / "input/data").string());
  ASSERT_TRUE(laid.ok()) << laid.status();
}

std::string LoopbackPrefix() {
  const uint64_t seed = static_cast<uint64_t>(getpid()) * 0x9e3779b97f4a7c15ULL ^
                        static_cast<uint64_t>(
                            std::chrono::steady_clock::now().time_since_epoch().count());
  const uint64_t mixed = seed ^ (seed >> 29);
  return "127." + std::to_string(1 + mixed % 254) + "." + std::to_string(1 + (mixed >> 8) % 254) +
         ".";
}

void WriteHostsFile(const std::string& path, const std::string& prefix, int hosts) {
  std::string text = "# the test's hosts, each on a loopback alias\n";
  for (int h = 1; h <= hosts; ++h) {
    text += prefix + std::to_string(h) + " algo-" + std::to_string(h) + "\n";
  }
  Write(path, text);
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<int> ProcessesMentioning(const std::string& needle) {
  std::vector<int> found;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return found;
  while (dirent* e = readdir(proc)) {
    const int pid = std::atoi(e->d_name);
    if (pid <= 0 || pid == getpid()) continue;
    std::string cmdline = ReadText("/proc/" + std::string(e->d_name) + "/cmdline");
    const std::string stat = ReadText("/proc/" + std::string(e->d_name) + "/stat");
    const size_t paren = stat.rfind(')');
    if (paren != std::string::npos && stat.size() > paren + 2 && stat[paren + 2] == 'Z') continue;
    for (char& c : cmdline) {
      if (c == '\0') c = ' ';
    }
    if (cmdline.find(needle) != std::string::npos) found.push_back(pid);
  }
  closedir(proc);
  return found;
}

data::DistributionSpec TrainTreeTest::ObjectsSpec() const {
  data::DistributionSpec spec;
  spec.objects = 4;
  return spec;
}

void TrainTreeTest::SetUp() {
  SyntheticDataTest::SetUp();
  auto sets = data::OpenIdxDir(data_dir(), 0, 0);
  ASSERT_TRUE(sets.ok()) << sets.status();
  auto store = data::MakeObjectStore(sets->first, ObjectsSpec(), 7, (dir_ / "objects").string());
  ASSERT_TRUE(store.ok()) << store.status();
  store_ = *store;
  setenv("DISTSIM_TOKEN", "00112233445566778899aabbccddeeff", 1);
}

std::string TrainTreeTest::Root(const HostTree& tree, const std::string& name) {
  const std::string root = (dir_ / name).string();
  WriteHostTree(root, tree, store_, data_dir());
  return root;
}

Spawned TrainTreeTest::Start(const std::string& root, const std::vector<std::string>& extra) {
  std::vector<std::string> argv = {DISTSIM_BINARY, "train", "--root", root, "-q"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return Spawn(argv);
}

Finished TrainTreeTest::Train(const std::string& root, const std::vector<std::string>& extra,
                              double timeout_s) {
  return Wait(Start(root, extra), timeout_s);
}

}  // namespace distsim::testing
