// Optimizers over a flat span of parameters.
//
// An optimizer owns its state (momentum, Adam moments) for exactly `size` elements and updates a
// span of that length, element by element. So the same object serves a whole model (local run,
// allreduce replica) or one parameter-server shard's contiguous range.
// Not thread-safe: one optimizer per span, used by one thread at a time.
#ifndef DISTSIM_KERNELS_OPTIMIZER_H_
#define DISTSIM_KERNELS_OPTIMIZER_H_

#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "kernels/check.h"

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
  // The learning rate the next Step uses (initially the one given at construction). Setting it
  // changes only the rate: state (momentum, Adam moments and step count) is kept, and the next
  // Step computes exactly what an optimizer constructed with `lr` and the same state would.
  virtual void set_learning_rate(T lr) = 0;
  virtual T learning_rate() const = 0;
  // The optimizer's state as flat buffers of `size` elements each: none for SGD, the velocity
  // for momentum, the first and second moments for Adam. With steps() it is everything a
  // checkpoint must keep: writing saved buffers into these spans and calling set_steps restores
  // an optimizer that computes exactly what the saved one would have.
  virtual std::vector<std::span<T>> state() { return {}; }
  void set_steps(int64_t steps) { steps_ = steps; }

 protected:
  int64_t steps_ = 0;
};

// The optimizer's state() buffers as one flat run of values (what a checkpoint keeps): their total
// size, appended to `out`, and loaded back from `flat`, which must hold StateSize values (checked).
template <typename T>
int64_t StateSize(Optimizer<T>& optimizer) {
  int64_t size = 0;
  for (std::span<T> buffer : optimizer.state()) size += static_cast<int64_t>(buffer.size());
  return size;
}
template <typename T>
void AppendState(Optimizer<T>& optimizer, std::vector<T>* out) {
  for (std::span<T> buffer : optimizer.state()) out->insert(out->end(), buffer.begin(), buffer.end());
}
template <typename T>
void LoadState(Optimizer<T>& optimizer, std::span<const T> flat) {
  DSK_CHECK(static_cast<int64_t>(flat.size()) == StateSize(optimizer));
  for (std::span<T> buffer : optimizer.state()) {
    std::copy_n(flat.begin(), buffer.size(), buffer.begin());
    flat = flat.subspan(buffer.size());
  }
}

// Linear learning-rate warm-up (Goyal et al. 2017): the rate of update `update` (counted from 0)
// is base * min(1, (update + 1) / warmup), computed in double and rounded to T once; exactly
// `base` from update warmup - 1 on, and for every update when warmup <= 0 (no warm-up). A
// negative `update` counts as 0.
template <typename T>
T WarmupLearningRate(T base, int64_t update, int64_t warmup) {
  if (update < 0) update = 0;
  if (warmup <= 0 || update + 1 >= warmup) return base;
  return static_cast<T>(static_cast<double>(base) * static_cast<double>(update + 1) /
                        static_cast<double>(warmup));
}

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
