// Layers as pairs of plain forward/backward functions over raw buffers (llm.c style).
//
// Conventions shared by every function here:
// - A batch of vectors is column-major: `dim` rows, `batch` columns, each example contiguous.
// - Images are stored HWC (height, width, channels; channels fastest), one image contiguous.
// - Weights are row-major in the shapes the models register in their ParamLayout:
//   dense {out, in}; conv {out_channels, kernel, kernel, in_channels}.
// - Backward functions take the upstream gradient (dy) and write the gradient of the input (dx).
//   Where noted they ACCUMULATE into parameter gradients, so a model can loop over images.
// - Output buffers must not alias inputs unless a function says so.
// - No function allocates except where documented; scratch is passed in by the caller.
// Instantiated for float and double.
#ifndef DISTSIM_KERNELS_LAYERS_H_
#define DISTSIM_KERNELS_LAYERS_H_

#include <cstdint>

namespace distsim::kernels {

// ---- Dense: y = W x + b over a batch. ----

// w: out x in (row-major), b: out, x: in x batch, y: out x batch.
template <typename T>
void DenseForward(const T* w, const T* b, const T* x, int in, int out, int batch, T* y);

// dw = dy x^T and db = sum over the batch of dy (both OVERWRITTEN); dx = W^T dy unless dx is null
// (the first layer needs no input gradient).
template <typename T>
void DenseBackward(const T* w, const T* x, const T* dy, int in, int out, int batch, T* dw, T* db,
                   T* dx);

// acc[r] += sum over columns c of m[c * rows + r] (m column-major rows x cols): bias gradients.
// Each acc[r] is summed in column order whatever the buffers' alignment, so results are
// bit-reproducible (Eigen's rowwise().sum() peels by destination alignment and is not).
template <typename T>
void AddRowSums(const T* m, int64_t rows, int64_t cols, T* acc);

// ---- ReLU. ----

// y = max(x, 0). y may equal x (in place).
template <typename T>
void ReluForward(const T* x, int64_t n, T* y);

// dx = dy where the forward OUTPUT y > 0, else 0. dx may equal dy (in place).
template <typename T>
void ReluBackward(const T* y, const T* dy, int64_t n, T* dx);

// ---- Dropout with inverted scaling. ----

// Keeps element i with probability 1 - p: y = x * scale, scale = keep ? 1/(1-p) : 0, and records
// scale[i] for backward. The keep decision of element i is a pure function of (seed,
// first_index+i), so equal seeds give equal masks. p in [0, 1). y may equal x.
template <typename T>
void DropoutForward(double p, uint64_t seed, int64_t first_index, int64_t n, const T* x, T* y,
                    T* scale);

// dx = dy * scale. dx may equal dy.
template <typename T>
void DropoutBackward(const T* scale, const T* dy, int64_t n, T* dx);

// ---- Softmax cross-entropy (numerically stable). ----

// logits: classes x batch. Returns the MEAN loss over the batch. If dlogits is not null, writes the
// gradient of that mean: (softmax - onehot) / batch. If correct is not null, adds the number of
// columns whose first maximal logit is the label. Labels must lie in [0, classes) (checked).
template <typename T>
T SoftmaxCrossEntropy(const T* logits, const int32_t* labels, int classes, int batch, T* dlogits,
                      int* correct);

// ---- Convolution, 'same' padding, stride 1, one image at a time. ----

struct ConvShape {
  int height = 0;
  int width = 0;
  int in_channels = 0;
  int out_channels = 0;
  int kernel = 5;  // odd; zero padding kernel/2 on every side

  int64_t patch_size() const { return int64_t{kernel} * kernel * in_channels; }
  int64_t pixels() const { return int64_t{height} * width; }
  // Elements of the im2col scratch: patch_size() rows x pixels() columns.
  int64_t col_size() const { return patch_size() * pixels(); }
  int64_t weight_size() const { return patch_size() * out_channels; }
};

// col (patch_size x pixels, column-major): column p holds the kernel x kernel x in_channels patch
// around output pixel p in (kh, kw, c) order, zeros outside the image.
template <typename T>
void Im2Col(const ConvShape& s, const T* image, T* col);

// The adjoint of Im2Col: image (OVERWRITTEN) = sum of every patch entry at its source pixel.
template <typename T>
void Col2Im(const ConvShape& s, const T* col, T* image);

// out (HWC, out_channels) = conv(image) + b for ONE image. col: scratch of s.col_size().
template <typename T>
void Conv2dForward(const ConvShape& s, const T* w, const T* b, const T* image, T* col, T* out);

// For ONE image: ACCUMULATES dw += dL/dw and db += dL/db, and OVERWRITES dimage with dL/dimage
// unless dimage is null. col: scratch of s.col_size() (recomputed here from image).
template <typename T>
void Conv2dBackward(const ConvShape& s, const T* w, const T* image, const T* dout, T* col, T* dw,
                    T* db, T* dimage);

// ---- Max-pool 2x2, stride 2, one HWC image at a time. ----

// y: (height/2) x (width/2) x channels. argmax[i] = index into x of the (first) maximum chosen for
// y[i]. height and width must be even (checked).
template <typename T>
void MaxPool2x2Forward(int height, int width, int channels, const T* x, T* y, int32_t* argmax);

// dx (height x width x channels) is OVERWRITTEN: dy routed to the recorded argmax, zero elsewhere.
template <typename T>
void MaxPool2x2Backward(int height, int width, int channels, const T* dy, const int32_t* argmax,
                        T* dx);

}  // namespace distsim::kernels

#endif  // DISTSIM_KERNELS_LAYERS_H_
