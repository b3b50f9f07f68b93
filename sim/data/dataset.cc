#include "sim/data/dataset.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>

#include "absl/strings/str_cat.h"
#include "sim/base/status.h"

namespace distsim::data {

absl::StatusOr<Dataset> Dataset::Open(const std::string& images_path,
                                      const std::string& labels_path, int64_t limit,
                                      int num_classes) {
  if (limit < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("example limit ", limit, " for ", images_path, " is negative; 0 means all"));
  }
  DS_ASSIGN_OR_RETURN(MappedFile images_file, MappedFile::Open(images_path));
  DS_ASSIGN_OR_RETURN(MappedFile labels_file, MappedFile::Open(labels_path));
  DS_ASSIGN_OR_RETURN(IdxImages images, ParseIdxImages(images_file));
  DS_ASSIGN_OR_RETURN(IdxLabels labels, ParseIdxLabels(labels_file, num_classes));
  if (images.count != labels.count) {
    return absl::DataLossError(absl::StrCat(
        images_path, " holds ", images.count, " images but ", labels_path, " holds ", labels.count,
        " labels; an images file and its labels file must have the same count"));
  }
  Dataset dataset;
  dataset.images_path_ = images_path;
  dataset.labels_path_ = labels_path;
  dataset.pixels_ = images.pixels;
  dataset.label_bytes_ = labels.labels;
  dataset.size_ = limit == 0 ? images.count : std::min(limit, images.count);
  dataset.rows_ = images.rows;
  dataset.cols_ = images.cols;
  dataset.num_classes_ = num_classes;
  // The views above point into the mappings, which a move does not relocate.
  dataset.images_ = std::make_shared<const MappedFile>(std::move(images_file));
  dataset.labels_ = std::make_shared<const MappedFile>(std::move(labels_file));
  return dataset;
}

template <typename T>
void Dataset::Gather(std::span<const int64_t> indices, T* x, int32_t* labels) const {
  const int64_t dim = example_dim();
  for (size_t j = 0; j < indices.size(); ++j) {
    const int64_t i = indices[j];
    DS_CHECK(i >= 0 && i < size_);
    const uint8_t* __restrict src = pixels_ + i * dim;
    T* __restrict dst = x + static_cast<int64_t>(j) * dim;
    // A plain conversion and division vectorises (8 floats per instruction with AVX2) and measured
    // 2.5-3x faster than a 256-entry lookup table, whose loads do not; the result is the same
    // correctly rounded T(p) / T(255).
    for (int64_t k = 0; k < dim; ++k) dst[k] = static_cast<T>(src[k]) / static_cast<T>(255);
    if (labels != nullptr) labels[j] = label_bytes_[i];
  }
}

template void Dataset::Gather<float>(std::span<const int64_t>, float*, int32_t*) const;
template void Dataset::Gather<double>(std::span<const int64_t>, double*, int32_t*) const;

absl::StatusOr<std::pair<Dataset, Dataset>> OpenIdxDir(const std::string& dir, int64_t train_limit,
                                                       int64_t test_limit) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) return IoError("cannot open data folder", dir, errno);
  if (!S_ISDIR(st.st_mode)) {
    return absl::NotFoundError(absl::StrCat("data folder ", dir, " is not a folder"));
  }
  auto in_dir = [&dir](const char* name) { return absl::StrCat(dir, "/", name); };
  DS_ASSIGN_OR_RETURN(Dataset train,
                      Dataset::Open(in_dir(kTrainImages), in_dir(kTrainLabels), train_limit));
  DS_ASSIGN_OR_RETURN(Dataset test,
                      Dataset::Open(in_dir(kTestImages), in_dir(kTestLabels), test_limit));
  if (train.rows() != test.rows() || train.cols() != test.cols()) {
    return absl::DataLossError(absl::StrCat("in ", dir, " the training images are ", train.rows(),
                                            "x", train.cols(), " but the test images are ",
                                            test.rows(), "x", test.cols(), "; they must match"));
  }
  return std::make_pair(std::move(train), std::move(test));
}

}  // namespace distsim::data
