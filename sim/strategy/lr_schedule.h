// LearningRateSchedule: the learning rate an exchange (local, allreduce replica) or a
// parameter-server shard gives its optimizer before each update: linear warm-up from
// base / warmup_steps to base over the first warmup_steps updates (kernels::WarmupLearningRate),
// then base.
//
// The default (warmup_steps 0) is no schedule at all: the optimizer is never touched and keeps the
// rate it was made with, so callers that pass nothing compute exactly what they did before. With
// warm-up, `base` must be the rate the optimizer was made with (node::LearningRateScheduleOf
// takes both from one OptimizerConfig); from update warmup_steps - 1 on the optimizer is set to
// exactly `base`, so the arithmetic after warm-up is that of an unscheduled run.
#ifndef DISTSIM_SIM_STRATEGY_LR_SCHEDULE_H_
#define DISTSIM_SIM_STRATEGY_LR_SCHEDULE_H_

#include <cstdint>

#include "kernels/optimizer.h"

namespace distsim::strategy {

struct LearningRateSchedule {
  float base = 0;            // the optimizer's configured learning rate; > 0 when warming up
  int64_t warmup_steps = 0;  // updates to rise over; 0: no warm-up (the optimizer is left alone)

  bool warms_up() const { return warmup_steps > 0; }

  // The rate of update `update` (counted from 0, i.e. the updates applied before it).
  float At(int64_t update) const { return kernels::WarmupLearningRate(base, update, warmup_steps); }

  // Before update `update`: sets the optimizer's rate to At(update) if warming up; otherwise
  // does nothing.
  void Apply(int64_t update, kernels::Optimizer<float>& optimizer) const {
    if (warms_up()) optimizer.set_learning_rate(At(update));
  }
};

}  // namespace distsim::strategy

#endif  // DISTSIM_SIM_STRATEGY_LR_SCHEDULE_H_
