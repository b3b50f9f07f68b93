// Dataset: a validated, memory-mapped pair of IDX files (images + labels), and OpenIdxDir for the
// standard four-file layout of MNIST and Fashion-MNIST.
#ifndef DISTSIM_SIM_DATA_DATASET_H_
#define DISTSIM_SIM_DATA_DATASET_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "sim/base/check.h"
#include "sim/data/idx.h"
#include "sim/data/mapped_file.h"

namespace distsim::data {

// Examples (image, label) read from an images file and a labels file.
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

  int64_t size() const { return size_; }
  int rows() const { return rows_; }
  int cols() const { return cols_; }
  int example_dim() const { return rows_ * cols_; }
  int num_classes() const { return num_classes_; }
  const std::string& images_path() const { return images_path_; }
  const std::string& labels_path() const { return labels_path_; }

  // The example_dim() raw pixels (0..255, row-major) of example i. Precondition: 0 <= i < size().
  const uint8_t* image(int64_t i) const {
    DS_CHECK(i >= 0 && i < size_);
    return pixels_ + i * example_dim();
  }
  // The label of example i, in [0, num_classes()). Precondition: 0 <= i < size().
  int32_t label(int64_t i) const {
    DS_CHECK(i >= 0 && i < size_);
    return label_bytes_[i];
  }

  // Copies the examples `indices` (any order, repeats allowed) into a column-major
  // example_dim() x indices.size() matrix `x` (example j occupies x[j*example_dim() ..
  // (j+1)*example_dim()), pixels scaled to [0, 1] as p / 255) and their labels into labels[j].
  // `x` must hold example_dim() * indices.size() values and `labels` indices.size(); `labels` may
  // be nullptr. Every index must be in [0, size()) (checked). Instantiated for float and double.
  template <typename T>
  void Gather(std::span<const int64_t> indices, T* x, int32_t* labels) const;

 private:
  // A default-constructed Dataset is empty (size() 0); only Open makes a usable one.
  std::string images_path_;
  std::string labels_path_;
  std::shared_ptr<const MappedFile> images_;
  std::shared_ptr<const MappedFile> labels_;
  const uint8_t* pixels_ = nullptr;
  const uint8_t* label_bytes_ = nullptr;
  int64_t size_ = 0;
  int rows_ = 0;
  int cols_ = 0;
  int num_classes_ = 0;
};

extern template void Dataset::Gather<float>(std::span<const int64_t>, float*, int32_t*) const;
extern template void Dataset::Gather<double>(std::span<const int64_t>, double*, int32_t*) const;

// Opens `dir`/{kTrainImages, kTrainLabels} as the training set and `dir`/{kTestImages,
// kTestLabels} as the test set, each cut to its limit (0 = all), with 10 classes. A missing folder
// or file is NotFound naming the path (hints on how to fetch the data are the caller's job).
absl::StatusOr<std::pair<Dataset, Dataset>> OpenIdxDir(const std::string& dir, int64_t train_limit,
                                                       int64_t test_limit);

}  // namespace distsim::data

#endif  // DISTSIM_SIM_DATA_DATASET_H_
