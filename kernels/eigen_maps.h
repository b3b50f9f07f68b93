// Eigen views over raw buffers, shared by the kernels' .cc files. Internal to kernels/.
#ifndef DISTSIM_KERNELS_EIGEN_MAPS_H_
#define DISTSIM_KERNELS_EIGEN_MAPS_H_

#include <Eigen/Core>

namespace distsim::kernels {

template <typename T>
using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;  // column-major
template <typename T>
using RowMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename T>
using Vec = Eigen::Matrix<T, Eigen::Dynamic, 1>;

template <typename T>
using MatMap = Eigen::Map<Mat<T>>;
template <typename T>
using ConstMatMap = Eigen::Map<const Mat<T>>;
template <typename T>
using RowMatMap = Eigen::Map<RowMat<T>>;
template <typename T>
using ConstRowMatMap = Eigen::Map<const RowMat<T>>;
template <typename T>
using VecMap = Eigen::Map<Vec<T>>;
template <typename T>
using ConstVecMap = Eigen::Map<const Vec<T>>;
template <typename T>
using ArrMap = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
template <typename T>
using ConstArrMap = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;

}  // namespace distsim::kernels

#endif  // DISTSIM_KERNELS_EIGEN_MAPS_H_
