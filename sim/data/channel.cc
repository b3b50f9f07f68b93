#include "sim/data/channel.h"

#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "sim/base/status.h"
#include "sim/data/idx.h"

namespace distsim::data {
namespace {

namespace fs = std::filesystem;


// Links `target` as `link`: a hard link where both are on one file system, else a symbolic link
// to the absolute path. Returns the target's size in bytes.
absl::StatusOr<double> LinkFile(const std::string& target, const std::string& link) {
  std::error_code ec;
  const std::string absolute = fs::absolute(target, ec).lexically_normal().string();
  if (ec) return IoError("cannot resolve", target, ec.value());
  if (::link(absolute.c_str(), link.c_str()) != 0) {
    const int err = errno;
    if (err != EXDEV && err != EPERM && err != EMLINK) return IoError("cannot link", link, err);
    if (::symlink(absolute.c_str(), link.c_str()) != 0) {
      return IoError("cannot link", link, errno);
    }
  }
  const uintmax_t size = fs::file_size(absolute, ec);
  if (ec) return IoError("cannot read the size of", absolute, ec.value());
  return static_cast<double>(size);
}

absl::Status MakeFolder(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return IoError("cannot create", dir, ec.value());
  return absl::OkStatus();
}

// The object number k of "train-<k>-of-<K>.dsobj", or -1 for any other name.
int64_t KeyNumber(const std::string& name) {
  if (!absl::StartsWith(name, "train-") || !absl::EndsWith(name, kObjectFileSuffix)) return -1;
  const std::string digits = name.substr(6, name.find('-', 6) - 6);
  int64_t k = -1;
  return absl::SimpleAtoi(digits, &k) ? k : -1;
}

}  // namespace

std::string HostName(int host) { return absl::StrCat("algo-", host + 1); }

std::string HostDataDir(const std::string& run_dir, int host) {
  return absl::StrCat(run_dir, "/hosts/", HostName(host), "/input/data");
}

absl::StatusOr<double> LayChannels(const ObjectStore& store, const std::vector<int64_t>& keys,
                                   const std::string& test_images, const std::string& test_labels,
                                   const std::string& data_dir) {
  std::error_code ec;
  fs::remove_all(data_dir, ec);
  if (ec) return IoError("cannot clear", data_dir, ec.value());
  const std::string train = absl::StrCat(data_dir, "/train");
  const std::string test = absl::StrCat(data_dir, "/test");
  DS_RETURN_IF_ERROR(MakeFolder(train));
  DS_RETURN_IF_ERROR(MakeFolder(test));
  double bytes = 0;
  const int64_t objects = static_cast<int64_t>(store.ids.size());
  for (int64_t k : keys) {
    const std::string name = ObjectFileName(k, objects);
    DS_ASSIGN_OR_RETURN(double size, LinkFile(absl::StrCat(store.dir, "/", name),
                                              absl::StrCat(train, "/", name)));
    bytes += size;
  }
  DS_ASSIGN_OR_RETURN(double images, LinkFile(test_images, absl::StrCat(test, "/", kTestImages)));
  DS_ASSIGN_OR_RETURN(double labels, LinkFile(test_labels, absl::StrCat(test, "/", kTestLabels)));
  return bytes + images + labels;
}

absl::StatusOr<Channel> OpenTrainChannel(const std::string& train_dir, int num_classes) {
  std::error_code ec;
  if (!fs::is_directory(train_dir, ec)) {
    return absl::NotFoundError(absl::StrCat("train channel ", train_dir, " is not a folder"));
  }
  Channel channel;
  channel.dir = train_dir;
  std::vector<std::pair<int64_t, std::string>> files;  // (k, file name)
  for (const fs::directory_entry& entry : fs::directory_iterator(train_dir, ec)) {
    const std::string name = entry.path().filename().string();
    const int64_t k = KeyNumber(name);
    if (k >= 0) files.emplace_back(k, name);
  }
  if (ec) return IoError("cannot list", train_dir, ec.value());
  if (files.empty()) {
    return absl::NotFoundError(absl::StrCat("train channel ", train_dir,
                                            " holds no objects (train-*", kObjectFileSuffix, ")"));
  }
  std::sort(files.begin(), files.end());
  std::vector<std::string> paths;
  for (const auto& [k, name] : files) {
    channel.keys.push_back(k);
    paths.push_back(absl::StrCat(train_dir, "/", name));
  }
  DS_ASSIGN_OR_RETURN(channel.data, Dataset::OpenObjects(paths, num_classes, &channel.ids));
  return channel;
}

absl::StatusOr<Dataset> OpenTestChannel(const std::string& test_dir, int64_t limit,
                                        int num_classes) {
  return Dataset::Open(absl::StrCat(test_dir, "/", kTestImages),
                       absl::StrCat(test_dir, "/", kTestLabels), limit, num_classes);
}

}  // namespace distsim::data
