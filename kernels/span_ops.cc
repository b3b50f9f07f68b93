#include "kernels/span_ops.h"

#include "kernels/check.h"
#include "kernels/eigen_maps.h"

namespace distsim::kernels {

template <typename T>
void AddInto(std::span<T> dst, std::span<const T> src) {
  DSK_CHECK(dst.size() == src.size());
  const auto n = static_cast<Eigen::Index>(dst.size());
  ArrMap<T>(dst.data(), n) += ConstArrMap<T>(src.data(), n);
}

template <typename T>
void Axpy(T alpha, std::span<const T> src, std::span<T> dst) {
  DSK_CHECK(dst.size() == src.size());
  const auto n = static_cast<Eigen::Index>(dst.size());
  ArrMap<T>(dst.data(), n) += alpha * ConstArrMap<T>(src.data(), n);
}

template <typename T>
void Scale(T alpha, std::span<T> dst) {
  ArrMap<T>(dst.data(), static_cast<Eigen::Index>(dst.size())) *= alpha;
}

template <typename T>
double Sum(std::span<const T> x) {
  // Sequential, so the result does not depend on the buffer's alignment (Eigen's sum() does).
  double sum = 0;
  for (T v : x) sum += static_cast<double>(v);
  return sum;
}

#define DSK_INSTANTIATE(T)                                    \
  template void AddInto<T>(std::span<T>, std::span<const T>); \
  template void Axpy<T>(T, std::span<const T>, std::span<T>); \
  template void Scale<T>(T, std::span<T>);                    \
  template double Sum<T>(std::span<const T>);
DSK_INSTANTIATE(float)
DSK_INSTANTIATE(double)
#undef DSK_INSTANTIATE

}  // namespace distsim::kernels
