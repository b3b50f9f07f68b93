// A parameter server whose updates are computed on stale parameters, simulated in one process and
// in virtual time, as Dai et al. ("Toward understanding the impact of staleness in distributed
// machine learning", ICLR 2019) inject staleness:
//
//   The server keeps a ring of the last s + 1 parameter versions, version t being the parameters
//   after t updates. For update t + 1 a worker draws its delay d ~ Uniform{0 .. min(s, t)} from a
//   seeded generator, computes its gradient on its own batch at version t - d (the parameters it
//   would have pulled d updates ago), and the server applies that gradient with its optimizer to
//   version t, the newest, which becomes version t + 1 in the slot of version t - s: the only one
//   no later update can ask for.
//
// With s = 0 every gradient is computed on the newest parameters: plain sequential training.
// Deterministic: the same model, optimizer, initial parameters, seed and batches give the same
// bits. Not thread-safe; one server per thread (the model's scratch space is its own).
#ifndef DISTSIM_SIM_APP_STALE_SERVER_H_
#define DISTSIM_SIM_APP_STALE_SERVER_H_

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "kernels/model.h"
#include "kernels/optimizer.h"

namespace distsim::app {

// The delays: d ~ Uniform{0 .. min(s, updates so far)}, the draw of update u (from 0) a pure
// function of (seed, u) (kernels/random.h), so a cell's delays do not depend on anything else.
class DelaySampler {
 public:
  DelaySampler(uint32_t max_staleness, uint64_t seed);
  // The delay of the update that follows `updates_so_far` updates.
  uint32_t Next(uint64_t updates_so_far);
  uint32_t max_staleness() const { return max_staleness_; }

 private:
  uint32_t max_staleness_;
  uint64_t key_;
  uint64_t draws_ = 0;
};

class StaleServer {
 public:
  // `model` (not owned, outlives the server) computes the gradients; `optimizer` applies them to
  // the whole parameter buffer; `initial` is version 0 (model->layout().size() floats, checked).
  StaleServer(kernels::Model<float>* model, std::unique_ptr<kernels::Optimizer<float>> optimizer,
              std::span<const float> initial, uint32_t max_staleness, uint64_t delay_seed);

  struct Update {
    uint32_t delay = 0;  // d: the gradient was computed on version updates() - 1 - d
    float loss = 0;      // the batch's mean loss at that version
  };
  // One update from a worker's batch of `batch` examples (x: input_dim() x batch, column-major).
  Update Apply(const float* x, const int32_t* labels, int batch, uint64_t dropout_seed);

  uint64_t updates() const { return updates_; }
  // Version updates() - ago; ago <= min(s, updates()) (checked).
  std::span<const float> Version(uint32_t ago) const;
  // The newest parameters: Version(0).
  std::span<const float> params() const { return Version(0); }
  // The gradient of the last update, as the worker computed it.
  std::span<const float> last_gradient() const { return gradient_; }

 private:
  std::span<float> Slot(uint64_t version);

  kernels::Model<float>* model_;
  std::unique_ptr<kernels::Optimizer<float>> optimizer_;
  DelaySampler delays_;
  int64_t size_;
  std::vector<float> ring_;  // s + 1 versions of size_ floats; version t in slot t mod (s + 1)
  std::vector<float> gradient_;
  uint64_t updates_ = 0;
};

}  // namespace distsim::app

#endif  // DISTSIM_SIM_APP_STALE_SERVER_H_
