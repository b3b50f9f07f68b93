#include "sim/app/stale_server.h"

#include <algorithm>
#include <utility>

#include "kernels/random.h"
#include "sim/base/check.h"

namespace distsim::app {
namespace {
constexpr uint64_t kDelayStream = 0x5ca1e;  // the delays' stream of a cell's seed
}  // namespace

DelaySampler::DelaySampler(uint32_t max_staleness, uint64_t seed)
    : max_staleness_(max_staleness), key_(kernels::StreamKey(seed, kDelayStream)) {}

uint32_t DelaySampler::Next(uint64_t updates_so_far) {
  const uint64_t choices = std::min<uint64_t>(max_staleness_, updates_so_far) + 1;
  // 53 uniform bits scaled to {0 .. choices - 1}: no modulo bias worth naming for choices <= 1025.
  const double u = kernels::RandomUniform(key_, draws_++);
  return static_cast<uint32_t>(std::min<uint64_t>(choices - 1, u * choices));
}

StaleServer::StaleServer(kernels::Model<float>* model,
                         std::unique_ptr<kernels::Optimizer<float>> optimizer,
                         std::span<const float> initial, uint32_t max_staleness,
                         uint64_t delay_seed)
    : model_(model),
      optimizer_(std::move(optimizer)),
      delays_(max_staleness, delay_seed),
      size_(model->layout().size()),
      ring_(static_cast<size_t>(size_) * (max_staleness + 1)),
      gradient_(static_cast<size_t>(size_)) {
  DS_CHECK(static_cast<int64_t>(initial.size()) == size_);
  std::copy(initial.begin(), initial.end(), Slot(0).begin());
}

std::span<float> StaleServer::Slot(uint64_t version) {
  const uint64_t slots = delays_.max_staleness() + 1;
  return std::span<float>(ring_).subspan((version % slots) * size_, size_);
}

std::span<const float> StaleServer::Version(uint32_t ago) const {
  DS_CHECK(ago <= delays_.max_staleness() && ago <= updates_);
  const uint64_t slots = delays_.max_staleness() + 1;
  return std::span<const float>(ring_).subspan(((updates_ - ago) % slots) * size_, size_);
}

StaleServer::Update StaleServer::Apply(const float* x, const int32_t* labels, int batch,
                                       uint64_t dropout_seed) {
  Update update;
  update.delay = delays_.Next(updates_);
  // The worker's gradient at version t - d, taken before version t + 1 overwrites the slot of
  // version t - s (which d = s may be reading).
  update.loss = model_->TrainStep(Version(update.delay).data(), x, labels, batch, dropout_seed,
                                  gradient_.data(), nullptr);
  std::span<const float> newest = Version(0);
  std::span<float> next = Slot(updates_ + 1);
  if (next.data() != newest.data()) std::copy(newest.begin(), newest.end(), next.begin());
  optimizer_->Step(next, gradient_);
  ++updates_;
  return update;
}

}  // namespace distsim::app
