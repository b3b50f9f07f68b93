// Optimizer updates as plain loops over the span. Each element's update is a pure function of
// that element's values, computed with IEEE-exact operations only (+, *, /, sqrt; this file is
// compiled with -fno-math-errno so sqrt vectorises, and -ffp-contract=off). So an element gets the
// same bits whether it sits in a vectorised body or a scalar head/tail, i.e. whatever the span's
// alignment and wherever a shard boundary falls. (Eigen's packet sqrt for float is an
// approximation under EIGEN_FAST_MATH, which broke exactly this.)
#include "kernels/optimizer.h"

#include <cmath>
#include <string>
#include <vector>

#include "kernels/check.h"

namespace distsim::kernels {
namespace {

template <typename T>
class Sgd final : public Optimizer<T> {
 public:
  Sgd(int64_t size, T lr) : size_(size), lr_(lr) { DSK_CHECK(size >= 0); }
  std::string name() const override { return "sgd"; }
  void set_learning_rate(T lr) override { lr_ = lr; }
  T learning_rate() const override { return lr_; }
  void Step(std::span<T> params, std::span<const T> grads) override {
    DSK_CHECK(static_cast<int64_t>(params.size()) == size_);
    DSK_CHECK(static_cast<int64_t>(grads.size()) == size_);
    T* __restrict p = params.data();
    const T* __restrict g = grads.data();
    const T lr = lr_;
    const int64_t n = size_;
    for (int64_t i = 0; i < n; ++i) p[i] -= lr * g[i];
    ++this->steps_;
  }

 private:
  int64_t size_;
  T lr_;
};

template <typename T>
class Momentum final : public Optimizer<T> {
 public:
  Momentum(int64_t size, T lr, T mu, bool nesterov)
      : size_(size), lr_(lr), mu_(mu), nesterov_(nesterov), v_(size, T(0)) {
    DSK_CHECK(size >= 0);
  }
  std::string name() const override { return nesterov_ ? "nesterov" : "momentum"; }
  void set_learning_rate(T lr) override { lr_ = lr; }
  T learning_rate() const override { return lr_; }
  std::vector<std::span<T>> state() override { return {std::span<T>(v_)}; }
  void Step(std::span<T> params, std::span<const T> grads) override {
    DSK_CHECK(static_cast<int64_t>(params.size()) == size_);
    DSK_CHECK(static_cast<int64_t>(grads.size()) == size_);
    T* __restrict p = params.data();
    T* __restrict v = v_.data();
    const T* __restrict g = grads.data();
    const T lr = lr_, mu = mu_;
    const int64_t n = size_;
    // PyTorch initialises the buffer to g on the first step, which equals mu * 0 + g.
    if (nesterov_) {
      for (int64_t i = 0; i < n; ++i) {
        const T vi = mu * v[i] + g[i];
        v[i] = vi;
        p[i] -= lr * (g[i] + mu * vi);
      }
    } else {
      for (int64_t i = 0; i < n; ++i) {
        const T vi = mu * v[i] + g[i];
        v[i] = vi;
        p[i] -= lr * vi;
      }
    }
    ++this->steps_;
  }

 private:
  int64_t size_;
  T lr_, mu_;
  bool nesterov_;
  std::vector<T> v_;
};

template <typename T>
class Adam final : public Optimizer<T> {
 public:
  Adam(int64_t size, T lr, T beta1, T beta2, T eps)
      : size_(size),
        lr_(lr),
        beta1_(beta1),
        beta2_(beta2),
        eps_(eps),
        m_(size, T(0)),
        v_(size, T(0)) {
    DSK_CHECK(size >= 0);
    DSK_CHECK(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1 && eps > 0);
  }
  std::string name() const override { return "adam"; }
  void set_learning_rate(T lr) override { lr_ = lr; }
  T learning_rate() const override { return lr_; }
  std::vector<std::span<T>> state() override {
    return {std::span<T>(m_), std::span<T>(v_)};
  }
  void Step(std::span<T> params, std::span<const T> grads) override {
    DSK_CHECK(static_cast<int64_t>(params.size()) == size_);
    DSK_CHECK(static_cast<int64_t>(grads.size()) == size_);
    ++this->steps_;
    const double t = static_cast<double>(this->steps_);
    const T bc1 = static_cast<T>(1.0 - std::pow(static_cast<double>(beta1_), t));
    const T bc2 = static_cast<T>(1.0 - std::pow(static_cast<double>(beta2_), t));
    T* __restrict p = params.data();
    T* __restrict m = m_.data();
    T* __restrict v = v_.data();
    const T* __restrict g = grads.data();
    // p -= lr * m_hat / (sqrt(v_hat) + eps), with m_hat = m / bc1 and v_hat = v / bc2, arranged
    // as PyTorch does: (lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps).
    const T step = lr_ / bc1;
    const T inv_sqrt_bc2 = T(1) / std::sqrt(bc2);
    const T b1 = beta1_, b2 = beta2_, eps = eps_;
    const T one_minus_b1 = T(1) - b1, one_minus_b2 = T(1) - b2;
    const int64_t n = size_;
    for (int64_t i = 0; i < n; ++i) {
      const T mi = b1 * m[i] + one_minus_b1 * g[i];
      const T vi = b2 * v[i] + one_minus_b2 * (g[i] * g[i]);
      m[i] = mi;
      v[i] = vi;
      p[i] -= step * mi / (std::sqrt(vi) * inv_sqrt_bc2 + eps);
    }
  }

 private:
  int64_t size_;
  T lr_, beta1_, beta2_, eps_;
  std::vector<T> m_, v_;
};

}  // namespace

template <typename T>
std::unique_ptr<Optimizer<T>> MakeSgd(int64_t size, T learning_rate) {
  return std::make_unique<Sgd<T>>(size, learning_rate);
}

template <typename T>
std::unique_ptr<Optimizer<T>> MakeMomentum(int64_t size, T learning_rate, T momentum,
                                           bool nesterov) {
  return std::make_unique<Momentum<T>>(size, learning_rate, momentum, nesterov);
}

template <typename T>
std::unique_ptr<Optimizer<T>> MakeAdam(int64_t size, T learning_rate, T beta1, T beta2, T epsilon) {
  return std::make_unique<Adam<T>>(size, learning_rate, beta1, beta2, epsilon);
}

#define DSK_INSTANTIATE(T)                                                     \
  template std::unique_ptr<Optimizer<T>> MakeSgd<T>(int64_t, T);               \
  template std::unique_ptr<Optimizer<T>> MakeMomentum<T>(int64_t, T, T, bool); \
  template std::unique_ptr<Optimizer<T>> MakeAdam<T>(int64_t, T, T, T, T);
DSK_INSTANTIATE(float)
DSK_INSTANTIATE(double)
#undef DSK_INSTANTIATE

}  // namespace distsim::kernels
