// Dataset: a validated, memory-mapped pair of IDX files (images + labels), and OpenIdxDir for the
// standard four-file layout of MNIST and Fashion-MNIST.
#ifndef DISTSIM_SIM_DATA_DATASET_H_
#define DISTSIM_SIM_DATA_DATASET_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "sim/base/check.h"
#include "sim/data/idx.h"
#include "sim/data/mapped_file.h"

namespace distsim::data {

// Examples (image, label) read from an images file and a labels file, or from several such pairs
// (the objects of a host's channel, channel.h).
//
// Every example has an id: its index in the whole training set. A Dataset opened from one pair
// holds ids 0 .. size()-1 in file order; one opened from objects holds exactly the ids the objects
// list, and asking for any other id is a bug of the caller (checked): a worker reads only its own
// channel.
//
// Immutable after Open and safe to read from any number of threads. It holds its mappings through
// shared_ptrs, so copying a Dataset is cheap and copies share the same pages; pointers returned by
// image() stay valid as long as any copy lives.
class Dataset {
 public:
  // Maps and validates both files (see idx.h for every check, each a DataLoss naming the file),
  // then checks they hold the same number of examples and that every label is < num_classes.
  // `limit` 0 keeps all examples, otherwise the first min(limit, count) (a negative limit is
  // InvalidArgument). The whole of both files is validated whatever the limit. Missing files are
  // NotFound.
  static absl::StatusOr<Dataset> Open(const std::string& images_path,
                                      const std::string& labels_path, int64_t limit = 0,
                                      int num_classes = 10);

  // Maps and validates every object file (object_file.h: its images, labels and ids, each
  // section checked as Open checks a file), and checks that each object's three sections hold
  // as many examples, that all have the same image size, and that no id is negative, over 2^31
  // or held twice (DataLoss naming the file). At least one object (InvalidArgument). `ids`
  // (may be null) receives each object's ids, in the order of `paths`.
  static absl::StatusOr<Dataset> OpenObjects(const std::vector<std::string>& paths,
                                             int num_classes = 10,
                                             std::vector<std::vector<int64_t>>* ids = nullptr);

  int64_t size() const { return size_; }
  // One more than the largest id held: size() when the ids are 0 .. size()-1.
  int64_t id_limit() const { return id_limit_; }
  // True when every id in [0, id_limit()) is held.
  bool dense() const { return id_limit_ == size_; }
  bool holds(int64_t id) const {
    return id >= 0 && id < id_limit_ && (by_id_.empty() || by_id_[id].pixels != nullptr);
  }
  int rows() const { return rows_; }
  int cols() const { return cols_; }
  int example_dim() const { return rows_ * cols_; }
  // Bytes per value: 1 for unsigned-byte pixels, 4 for float32 features (idx.h; tabular data).
  int value_bytes() const { return value_bytes_; }
  int example_bytes() const { return example_dim() * value_bytes_; }
  int num_classes() const { return num_classes_; }
  // The two files (OpenObjects: the first object's file, twice).
  const std::string& images_path() const { return images_path_; }
  const std::string& labels_path() const { return labels_path_; }

  // The example_bytes() raw bytes of example `id`, as its file holds them: example_dim() pixels
  // (0..255, row-major), or example_dim() big-endian float32 values when value_bytes() is 4.
  // Precondition: holds(id).
  const uint8_t* image(int64_t id) const {
    DS_CHECK(holds(id));
    return by_id_.empty() ? pixels_ + id * example_bytes() : by_id_[id].pixels;
  }
  // The label of example `id`, in [0, num_classes()). Precondition: holds(id).
  int32_t label(int64_t id) const {
    DS_CHECK(holds(id));
    return by_id_.empty() ? label_bytes_[id] : *by_id_[id].label;
  }

  // Copies the examples `ids` (any order, repeats allowed) into a column-major
  // example_dim() x ids.size() matrix `x` (example j occupies x[j*example_dim() ..
  // (j+1)*example_dim()), pixels scaled to [0, 1] as p / 255, float features as they are) and
  // their labels into labels[j].
  // `x` must hold example_dim() * ids.size() values and `labels` ids.size(); `labels` may
  // be nullptr. Every id must be held (checked). Instantiated for float and double.
  template <typename T>
  void Gather(std::span<const int64_t> ids, T* x, int32_t* labels) const;

 private:
  // Where one example of an object Dataset lies; pixels == nullptr for an id not held.
  struct Where {
    const uint8_t* pixels = nullptr;
    const uint8_t* label = nullptr;
  };

  // A default-constructed Dataset is empty (size() 0); only Open makes a usable one.
  std::string images_path_;
  std::string labels_path_;
  std::vector<std::shared_ptr<const MappedFile>> files_;  // every mapping the views point into
  const uint8_t* pixels_ = nullptr;       // Open: ids are positions in the one file
  const uint8_t* label_bytes_ = nullptr;
  std::vector<Where> by_id_;              // OpenObjects: indexed by id; empty for Open
  int64_t size_ = 0;
  int64_t id_limit_ = 0;
  int rows_ = 0;
  int cols_ = 0;
  int value_bytes_ = 1;
  int num_classes_ = 0;
};

extern template void Dataset::Gather<float>(std::span<const int64_t>, float*, int32_t*) const;
extern template void Dataset::Gather<double>(std::span<const int64_t>, double*, int32_t*) const;

// Opens `dir`/{kTrainImages, kTrainLabels} as the training set and `dir`/{kTestImages,
// kTestLabels} as the test set, each cut to its limit (0 = all), with `num_classes` classes (a
// label outside [0, num_classes) is DataLoss naming the file and the label's index). A missing
// folder or file is NotFound naming the path (hints on how to fetch the data are the caller's job).
absl::StatusOr<std::pair<Dataset, Dataset>> OpenIdxDir(const std::string& dir, int64_t train_limit,
                                                       int64_t test_limit, int num_classes = 10);

}  // namespace distsim::data

#endif  // DISTSIM_SIM_DATA_DATASET_H_
