// Model: forward and backward of a classifier over a flat parameter buffer.
//
// Parameters and gradients live outside the model, in buffers of layout().size() elements, so the
// same model object serves a local run, a parameter-server worker and an allreduce replica. A model
// owns only scratch space (activations), so one instance must not be used by two threads at once;
// make one per thread.
//
// Data layout: a batch is a column-major matrix of input_dim() rows and `batch` columns, i.e. one
// example after another, each contiguous (MNIST: 784 floats in [0,1], row-major 28x28 pixels).
// Labels are integers in [0, num_classes()).
//
// Templated on the scalar: float for training, double for the gradient checks. Instantiated for
// float and double only.
#ifndef DISTSIM_KERNELS_MODEL_H_
#define DISTSIM_KERNELS_MODEL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kernels/param_layout.h"

namespace distsim::kernels {

template <typename T>
class Model {
 public:
  virtual ~Model() = default;

  virtual std::string name() const = 0;  // e.g. "mlp 784-128-10"
  const ParamLayout& layout() const { return layout_; }
  virtual int input_dim() const = 0;
  virtual int num_classes() const = 0;
  // Multiply-adds are counted as 2 FLOP. Forward+backward of one training example, as computed:
  // forward, weight gradient, and input gradient for every layer but the first (which needs none).
  virtual double TrainFlopsPerExample() const = 0;

  // Writes the deterministic initialisation for `seed` into params (layout().size() elements):
  // weights Glorot/He-uniform from a seeded generator, biases zero. Same seed, same bits.
  // (He-uniform, limit sqrt(6 / fan_in), for layers followed by ReLU; Glorot-uniform, limit
  // sqrt(6 / (fan_in + fan_out)), for the logits layer. Values are drawn in double from the
  // counter-based generator of kernels/random.h and rounded, so Init<float> == float(Init<double>)
  // on every platform.)
  virtual void Init(uint64_t seed, T* params) const = 0;

  // One forward and backward pass over a batch (batch >= 1; scratch grows on first use of a larger
  // batch and is reused after, so steady-state steps do not allocate). Results are bit-identical
  // for equal inputs, whatever the alignment of the caller's buffers. Overwrites grads
  // (layout().size() elements) with the gradient of the mean cross-entropy loss over the batch, and
  // returns that mean loss. `dropout_seed` fixes the dropout masks: equal seeds, equal masks (so
  // finite differences see the same function). If correct != nullptr, stores how many examples the
  // forward pass classified right.
  virtual T TrainStep(const T* params, const T* x, const int32_t* labels, int batch,
                      uint64_t dropout_seed, T* grads, int* correct) = 0;

  // Inference (no dropout) over a batch: adds the summed cross-entropy loss to *loss_sum and the
  // number of correctly classified examples to *correct.
  virtual void Evaluate(const T* params, const T* x, const int32_t* labels, int batch,
                        double* loss_sum, int64_t* correct) = 0;

 protected:
  ParamLayout layout_;
};

// 784 -> 10 softmax regression (for `input_dim` inputs).
template <typename T>
std::unique_ptr<Model<T>> MakeSoftmax(int input_dim = 784, int num_classes = 10);

// input_dim -> hidden... (ReLU after each) -> num_classes. The default is 784-128-10.
// Tensors "fc<i>/weight" {out, in} and "fc<i>/bias" {out}, i = 1, 2, ... (softmax: fc1 only).
template <typename T>
std::unique_ptr<Model<T>> MakeMlp(std::vector<int> hidden = {128}, int input_dim = 784,
                                  int num_classes = 10);

struct CnnShape {
  int height = 28, width = 28;  // single-channel input images
  int conv1_channels = 32;
  int conv2_channels = 64;
  int dense_units = 1024;
  float dropout = 0.4f;  // drop probability in training; 0 disables
  int num_classes = 10;
};

// conv 5x5 'same' + ReLU, max-pool 2x2, conv 5x5 'same' + ReLU, max-pool 2x2, dense + ReLU,
// dropout, dense num_classes. Height and width must be divisible by 4.
// Tensors: "conv1/weight" {c1, 5, 5, 1}, "conv1/bias" {c1}, "conv2/weight" {c2, 5, 5, c1},
// "conv2/bias" {c2}, "dense1/weight" {dense, (h/4)*(w/4)*c2}, "dense1/bias" {dense},
// "dense2/weight" {classes, dense}, "dense2/bias" {classes}. Conv weights are {out, kh, kw, in}
// (TensorFlow's filter order transposed to output-major); activations are HWC, so dense1's input
// is the pooled conv2 output flattened in (h, w, c) order. Default shape: 3,274,634 parameters.
template <typename T>
std::unique_ptr<Model<T>> MakeCnn(const CnnShape& shape);

}  // namespace distsim::kernels

#endif  // DISTSIM_KERNELS_MODEL_H_
