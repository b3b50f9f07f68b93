#include "kernels/param_layout.h"

#include <utility>

#include "kernels/check.h"

namespace distsim::kernels {

int64_t ParamLayout::Add(std::string name, std::vector<int64_t> shape) {
  for (const TensorSpec& t : tensors_) DSK_CHECK(t.name != name);
  int64_t size = 1;
  for (int64_t d : shape) {
    DSK_CHECK(d > 0);
    size *= d;
  }
  TensorSpec spec;
  spec.name = std::move(name);
  spec.shape = std::move(shape);
  spec.offset = size_;
  spec.size = size;
  tensors_.push_back(std::move(spec));
  size_ += size;
  return tensors_.back().offset;
}

const TensorSpec& ParamLayout::Find(const std::string& name) const {
  for (const TensorSpec& t : tensors_) {
    if (t.name == name) return t;
  }
  std::fprintf(stderr, "ParamLayout::Find: no tensor named '%s'\n", name.c_str());
  DSK_CHECK(false && "unknown tensor name");
  std::abort();
}

}  // namespace distsim::kernels
