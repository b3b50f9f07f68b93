// Optimizers over a flat span of parameters.
//
// An optimizer owns its state (momentum, Adam moments) for exactly `size` elements and updates a
// span of that length, element by element. So the same object serves a whole model (local run,
// allreduce replica) or one parameter-server shard's contiguous range.
// Not thread-safe: one optimizer per span, used by one thread at a time.
#ifndef DISTSIM_KERNELS_OPTIMIZER_H_
#define DISTSIM_KERNELS_OPTIMIZER_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace distsim::kernels {

template <typename T>
class Optimizer {
 public:
  virtual ~Optimizer() = default;
  virtual std::string name() const = 0;
  // params -= update(grads). Both spans have the size given at construction (checked).
  virtual void Step(std::span<T> params, std::span<const T> grads) = 0;
  // Updates applied so far.
  int64_t steps() const { return steps_; }

 protected:
  int64_t steps_ = 0;
};

// p -= lr * g
template <typename T>
std::unique_ptr<Optimizer<T>> MakeSgd(int64_t size, T learning_rate);

// v = mu * v + g; p -= lr * v   (nesterov: p -= lr * (g + mu * v)). PyTorch's formulation.
template <typename T>
std::unique_ptr<Optimizer<T>> MakeMomentum(int64_t size, T learning_rate, T momentum,
                                           bool nesterov);

// Adam (Kingma & Ba 2015) with bias correction; epsilon added to sqrt(v_hat), as PyTorch does.
template <typename T>
std::unique_ptr<Optimizer<T>> MakeAdam(int64_t size, T learning_rate, T beta1, T beta2,
                                       T epsilon);

}  // namespace distsim::kernels

#endif  // DISTSIM_KERNELS_OPTIMIZER_H_
