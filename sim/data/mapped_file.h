// MappedFile: a whole file mapped read-only into memory (mmap), released when the object dies.
//
// All processes of a run map the same IDX files, so the kernel shares their pages: sixteen workers
// do not hold sixteen copies of the training set (docs/architecture.md, "Data").
#ifndef DISTSIM_SIM_DATA_MAPPED_FILE_H_
#define DISTSIM_SIM_DATA_MAPPED_FILE_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "absl/status/statusor.h"

namespace distsim::data {

// Owns one read-only mapping of a whole file. Movable, not copyable; share it with a
// std::shared_ptr<const MappedFile>. The bytes never change after Open (the mapping is private and
// read-only), so any number of threads may read them at once.
//
// A file of length 0 is mapped as data() == nullptr, size() == 0 (mmap refuses empty lengths); the
// IDX reader reports such a file as empty.
class MappedFile {
 public:
  // Maps the file at `path`. A missing file is NotFound; a folder or any other OS failure is
  // Unknown; both messages name the path.
  static absl::StatusOr<MappedFile> Open(const std::string& path);

  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  std::span<const uint8_t> bytes() const { return {data_, size_}; }
  const std::string& path() const { return path_; }

 private:
  MappedFile(std::string path, const uint8_t* data, size_t size)
      : path_(std::move(path)), data_(data), size_(size) {}
  void Release();

  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace distsim::data

#endif  // DISTSIM_SIM_DATA_MAPPED_FILE_H_
