// Dense, ReLU, dropout and softmax cross-entropy. Convolution and pooling are in conv.cc.
#include "kernels/layers.h"

#include <algorithm>
#include <cmath>

#include "kernels/check.h"
#include "kernels/eigen_maps.h"
#include "kernels/random.h"

namespace distsim::kernels {

template <typename T>
void DenseForward(const T* w, const T* b, const T* x, int in, int out, int batch, T* y) {
  ConstRowMatMap<T> W(w, out, in);
  ConstMatMap<T> X(x, in, batch);
  MatMap<T> Y(y, out, batch);
  Y.noalias() = W * X;
  Y.colwise() += ConstVecMap<T>(b, out);
}

template <typename T>
void DenseBackward(const T* w, const T* x, const T* dy, int in, int out, int batch, T* dw, T* db,
                   T* dx) {
  ConstMatMap<T> X(x, in, batch);
  ConstMatMap<T> dY(dy, out, batch);
  // dW (out x in, row-major) is the column-major in x out matrix X dY^T.
  MatMap<T>(dw, in, out).noalias() = X * dY.transpose();
  std::fill_n(db, out, T(0));
  AddRowSums(dy, out, batch, db);
  if (dx != nullptr) {
    // W^T as a column-major in x out view of the row-major weights.
    MatMap<T>(dx, in, batch).noalias() = ConstMatMap<T>(w, in, out) * dY;
  }
}

template <typename T>
void AddRowSums(const T* m, int64_t rows, int64_t cols, T* acc) {
  for (int64_t c = 0; c < cols; ++c) {
    const T* __restrict col = m + c * rows;
    T* __restrict a = acc;
    for (int64_t r = 0; r < rows; ++r) a[r] += col[r];
  }
}

template <typename T>
void ReluForward(const T* x, int64_t n, T* y) {
  ArrMap<T>(y, n) = ConstArrMap<T>(x, n).max(T(0));
}

template <typename T>
void ReluBackward(const T* y, const T* dy, int64_t n, T* dx) {
  ArrMap<T>(dx, n) = (ConstArrMap<T>(y, n) > T(0)).select(ConstArrMap<T>(dy, n), T(0));
}

template <typename T>
void DropoutForward(double p, uint64_t seed, int64_t first_index, int64_t n, const T* x, T* y,
                    T* scale) {
  DSK_CHECK(p >= 0.0 && p < 1.0);
  const T keep_scale = static_cast<T>(1.0 / (1.0 - p));
  const uint64_t key = StreamKey(seed, 0x64726f70u);  // "drop"
  for (int64_t i = 0; i < n; ++i) {
    const bool keep = RandomUniform(key, static_cast<uint64_t>(first_index + i)) >= p;
    scale[i] = keep ? keep_scale : T(0);
    y[i] = x[i] * scale[i];
  }
}

template <typename T>
void DropoutBackward(const T* scale, const T* dy, int64_t n, T* dx) {
  ArrMap<T>(dx, n) = ConstArrMap<T>(dy, n) * ConstArrMap<T>(scale, n);
}

template <typename T>
T SoftmaxCrossEntropy(const T* logits, const int32_t* labels, int classes, int batch, T* dlogits,
                      int* correct) {
  DSK_CHECK(classes > 0 && batch > 0);
  double loss_sum = 0.0;
  int right = 0;
  const T inv_batch = T(1) / static_cast<T>(batch);
  for (int b = 0; b < batch; ++b) {
    const T* l = logits + int64_t{b} * classes;
    const int32_t label = labels[b];
    DSK_CHECK(label >= 0 && label < classes);
    int best = 0;
    for (int c = 1; c < classes; ++c) {
      if (l[c] > l[best]) best = c;
    }
    if (best == label) ++right;
    const T max = l[best];
    T sum = 0;
    for (int c = 0; c < classes; ++c) sum += std::exp(l[c] - max);
    const T log_sum = std::log(sum);
    loss_sum += static_cast<double>(log_sum - (l[label] - max));
    if (dlogits != nullptr) {
      T* d = dlogits + int64_t{b} * classes;
      const T inv_sum = T(1) / sum;
      for (int c = 0; c < classes; ++c) d[c] = std::exp(l[c] - max) * inv_sum * inv_batch;
      d[label] -= inv_batch;
    }
  }
  if (correct != nullptr) *correct += right;
  return static_cast<T>(loss_sum / batch);
}

#define DSK_INSTANTIATE(T)                                                                 \
  template void DenseForward<T>(const T*, const T*, const T*, int, int, int, T*);          \
  template void DenseBackward<T>(const T*, const T*, const T*, int, int, int, T*, T*, T*); \
  template void AddRowSums<T>(const T*, int64_t, int64_t, T*);                             \
  template void ReluForward<T>(const T*, int64_t, T*);                                     \
  template void ReluBackward<T>(const T*, const T*, int64_t, T*);                          \
  template void DropoutForward<T>(double, uint64_t, int64_t, int64_t, const T*, T*, T*);   \
  template void DropoutBackward<T>(const T*, const T*, int64_t, T*);                       \
  template T SoftmaxCrossEntropy<T>(const T*, const int32_t*, int, int, T*, int*);
DSK_INSTANTIATE(float)
DSK_INSTANTIATE(double)
#undef DSK_INSTANTIATE

}  // namespace distsim::kernels
