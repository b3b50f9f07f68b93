// Element-wise operations over flat spans of parameters or gradients, for the communication and
// strategy code (reducing gradients from several workers, averaging, applying a shard).
// Vectorised with Eigen. All spans of one call must have equal sizes (checked). Instantiated for
// float and double.
#ifndef DISTSIM_KERNELS_SPAN_OPS_H_
#define DISTSIM_KERNELS_SPAN_OPS_H_

#include <span>

namespace distsim::kernels {

// dst += src.
template <typename T>
void AddInto(std::span<T> dst, std::span<const T> src);

// dst += alpha * src.
template <typename T>
void Axpy(T alpha, std::span<const T> src, std::span<T> dst);

// dst *= alpha.
template <typename T>
void Scale(T alpha, std::span<T> dst);

// Sum of the elements, accumulated in double in index order (reproducible).
template <typename T>
double Sum(std::span<const T> x);

}  // namespace distsim::kernels

#endif  // DISTSIM_KERNELS_SPAN_OPS_H_
