#include "sim/data/object_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sim/base/status.h"
#include "sim/data/random.h"

namespace distsim::data {
namespace {

namespace fs = std::filesystem;

constexpr int kStoresKept = 16;
constexpr auto kUnusedFor = std::chrono::hours(24);

uint64_t MixDouble(uint64_t h, double v) {
  return MixBytes(h, reinterpret_cast<const uint8_t*>(&v), sizeof v);
}

// fsync of a file or a folder, so that a rename that follows publishes complete data.
absl::Status SyncPath(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError("cannot open to sync", path, errno);
  const int rc = fsync(fd);
  const int err = errno;
  close(fd);
  if (rc != 0) return IoError("cannot sync", path, err);
  return absl::OkStatus();
}

// Writes object `k`'s file into `dir` (synced).
absl::Status WriteObject(const Dataset& train, const std::vector<int64_t>& ids, int64_t k,
                         int64_t objects, const std::string& dir) {
  const int64_t dim = train.example_bytes();
  std::vector<uint8_t> pixels(ids.size() * dim);
  std::vector<uint8_t> labels(ids.size());
  for (size_t j = 0; j < ids.size(); ++j) {
    std::copy_n(train.image(ids[j]), dim, pixels.begin() + static_cast<int64_t>(j) * dim);
    labels[j] = static_cast<uint8_t>(train.label(ids[j]));
  }
  return WriteObjectFile(absl::StrCat(dir, "/", ObjectFileName(k, objects)), train.rows(),
                         train.cols(), pixels, labels, ids, train.value_bytes());
}

// Writes every object into a temporary folder beside `dir` and renames it to `dir`. A store
// another process renamed into place first wins; ours is removed.
absl::Status WriteStore(const Dataset& train, const std::vector<std::vector<int64_t>>& objects,
                        const std::string& dir) {
  const std::string temp = absl::StrCat(dir, ".tmp-", getpid());
  std::error_code ec;
  fs::remove_all(temp, ec);
  if (!fs::create_directories(temp, ec) || ec) {
    return IoError("cannot create the object folder", temp, ec.value());
  }
  const int64_t k_total = static_cast<int64_t>(objects.size());
  for (int64_t k = 0; k < k_total; ++k) {
    absl::Status written = WriteObject(train, objects[k], k, k_total, temp);
    if (!written.ok()) {
      fs::remove_all(temp, ec);
      return written;
    }
  }
  DS_RETURN_IF_ERROR(SyncPath(temp));
  if (rename(temp.c_str(), dir.c_str()) != 0) {
    const int err = errno;
    fs::remove_all(temp, ec);
    if (err != EEXIST && err != ENOTEMPTY) return IoError("cannot rename into", dir, err);
  }
  return SyncPath(fs::path(dir).parent_path().string());
}

// Marks `dir` as used now (its modification time), for RemoveUnusedStores.
void Touch(const std::string& dir) { utimensat(AT_FDCWD, dir.c_str(), nullptr, 0); }

// Removes the store folders under `root` unused for kUnusedFor, keeping the kStoresKept most
// recently used whatever their age. Best effort: a store another run is using was used within
// the day, and failures to remove are ignored.
void RemoveUnusedStores(const std::string& root) {
  std::error_code ec;
  std::vector<std::pair<fs::file_time_type, fs::path>> stores;
  for (const fs::directory_entry& entry : fs::directory_iterator(root, ec)) {
    if (!entry.is_directory(ec)) continue;
    const std::string name = entry.path().filename().string();
    if (name.size() != 16 || name.find('.') != std::string::npos) continue;  // not a store
    stores.emplace_back(entry.last_write_time(ec), entry.path());
  }
  std::sort(stores.begin(), stores.end(), std::greater<>());
  const fs::file_time_type cutoff = fs::file_time_type::clock::now() - kUnusedFor;
  for (size_t i = kStoresKept; i < stores.size(); ++i) {
    if (stores[i].first < cutoff) fs::remove_all(stores[i].second, ec);
  }
}

}  // namespace

std::string ObjectKey(int64_t k, int64_t objects) {
  return absl::StrFormat("train-%05d-of-%05d", k, objects);
}

std::string ObjectFileName(int64_t k, int64_t objects) {
  return absl::StrCat(ObjectKey(k, objects), kObjectFileSuffix);
}

std::string ObjectsFingerprint(const Dataset& train, const DistributionSpec& spec, uint64_t seed) {
  uint64_t h = Mix64(seed ^ 0x6f626a73746f7265ULL);  // "objstore"
  h = Mix64(h ^ static_cast<uint64_t>(spec.objects));
  h = Mix64(h ^ static_cast<uint64_t>(spec.grouping));
  h = MixDouble(h, spec.grouping == Grouping::kDirichlet ? spec.dirichlet_alpha : 0.0);
  for (double w : spec.object_weights) h = MixDouble(h, w);
  h = Mix64(h ^ (static_cast<uint64_t>(train.rows()) << 32 | train.cols()));
  h = Mix64(h ^ static_cast<uint64_t>(train.size()) ^ uint64_t(train.value_bytes()) << 56);
  for (int64_t i = 0; i < train.size(); ++i) {
    const uint8_t label = static_cast<uint8_t>(train.label(i));
    h = MixBytes(h, train.image(i), train.example_bytes());
    h = MixBytes(h, &label, 1);
  }
  return absl::StrFormat("%016x", h);
}

absl::StatusOr<ObjectStore> MakeObjectStore(const Dataset& train, const DistributionSpec& spec,
                                            uint64_t seed, const std::string& root) {
  const std::vector<int32_t> labels = Labels(train);
  ObjectStore store;
  DS_ASSIGN_OR_RETURN(store.ids, MakeObjects(labels, spec, seed));
  for (const std::vector<int64_t>& ids : store.ids) {
    store.bytes.push_back(
        ObjectFileBytes(static_cast<int64_t>(ids.size()), train.rows(), train.cols(),
                        train.value_bytes()));
  }
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) return IoError("cannot create the object cache", root, ec.value());
  store.dir = absl::StrCat(root, "/", ObjectsFingerprint(train, spec, seed));
  if (!fs::is_directory(store.dir, ec)) DS_RETURN_IF_ERROR(WriteStore(train, store.ids, store.dir));
  Touch(store.dir);
  RemoveUnusedStores(root);
  return store;
}

}  // namespace distsim::data
