// ParamLayout: the named tensors of a model laid end to end in ONE contiguous buffer.
//
// Parameters, gradients and optimizer state all use the same layout, so communication and
// optimizers handle flat spans of floats and never need to know about layers. A tensor is a view
// [offset, offset + size) into the buffer. Tensors are stored row-major in the shape given.
#ifndef DISTSIM_KERNELS_PARAM_LAYOUT_H_
#define DISTSIM_KERNELS_PARAM_LAYOUT_H_

#include <cstdint>
#include <string>
#include <vector>

namespace distsim::kernels {

struct TensorSpec {
  std::string name;            // e.g. "conv1/weight"
  std::vector<int64_t> shape;  // e.g. {32, 1, 5, 5}
  int64_t offset = 0;          // first element in the flat buffer
  int64_t size = 0;            // product of shape
};

class ParamLayout {
 public:
  // Appends a tensor after the last one; returns its offset. Names must be unique (checked).
  int64_t Add(std::string name, std::vector<int64_t> shape);

  const std::vector<TensorSpec>& tensors() const { return tensors_; }
  // Total number of elements.
  int64_t size() const { return size_; }
  // The tensor of that name; aborts if there is none.
  const TensorSpec& Find(const std::string& name) const;

 private:
  std::vector<TensorSpec> tensors_;
  int64_t size_ = 0;
};

}  // namespace distsim::kernels

#endif  // DISTSIM_KERNELS_PARAM_LAYOUT_H_
