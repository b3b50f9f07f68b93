#include "sim/node/run_checkpoints.h"

#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "sim/base/status.h"
#include "sim/node/checkpoint.h"

namespace distsim::node {

absl::StatusOr<RunCheckpoints> PrepareRunCheckpoints(const RunPlan& plan,
                                                     const std::string& out_dir, bool resume,
                                                     std::FILE* notes) {
  RunCheckpoints run;
  const std::string dir = (std::filesystem::path(out_dir) / "checkpoints").string();
  if (!resume) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    if (ec) return IoError("cannot remove an earlier run's checkpoints", dir, ec.value());
    if (plan.config.supervision().checkpoint_every_steps() == 0) return run;
    run.dir = dir;
    run.summary.set_dir(dir);
    return run;
  }
  absl::StatusOr<ResumePoint> point = FindResumePoint(dir, plan.shape.servers, plan.shape.workers,
                                                      ConfigFingerprint(plan.config));
  if (!point.ok()) {
    return absl::Status(point.status().code(),
                        absl::StrCat("--resume: ", point.status().message()));
  }
  if (plan.length.max_steps > 0 && point->step >= plan.length.max_steps) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--resume: the newest good checkpoint, of step ", point->step, " in ", dir,
        ", is at or past the run's end (", plan.length.max_steps,
        " steps): nothing is left to train; give more steps to train on"));
  }
  RemoveTempFiles(dir);
  run.dir = dir;
  run.resume_step = point->step;
  run.summary.set_dir(dir);
  run.summary.set_resumed_from_step(point->step);
  run.summary.set_modelled_from_step(point->step);
  for (const std::string& skipped : point->skipped) {
    run.summary.add_skipped(skipped);
    if (notes != nullptr) std::fprintf(notes, "checkpoint passed over: %s\n", skipped.c_str());
  }
  if (notes != nullptr) {
    std::fprintf(notes, "resuming from the checkpoint of step %llu in %s\n",
                 static_cast<unsigned long long>(point->step), dir.c_str());
  }
  return run;
}

uint64_t LastGoodCheckpoint(const RunPlan& plan, const std::string& dir) {
  if (dir.empty()) return 0;
  absl::StatusOr<ResumePoint> point = FindResumePoint(dir, plan.shape.servers, plan.shape.workers,
                                                      ConfigFingerprint(plan.config));
  return point.ok() ? point->step : 0;
}

bool Restartable(const absl::Status& failure, const RunPlan& plan, uint32_t restarts_so_far) {
  const absl::StatusCode code = failure.code();
  const bool lost = code == absl::StatusCode::kUnavailable ||
                    code == absl::StatusCode::kAborted ||
                    code == absl::StatusCode::kDeadlineExceeded;
  return lost && restarts_so_far < plan.config.supervision().max_restarts();
}

uint64_t PrepareRestart(const RunPlan& plan, const Coordinator& coordinator,
                        const absl::Status& failure, uint32_t restart,
                        RunCheckpoints* checkpoints, RunAggregate* aggregate, std::FILE* notes) {
  const uint64_t reached = coordinator.furthest_step();
  const uint64_t from =
      std::max(checkpoints->resume_step, LastGoodCheckpoint(plan, checkpoints->dir));
  Restart* r = checkpoints->summary.add_restarts();
  r->set_failure(std::string(failure.message()));
  r->set_failed_at_step(reached);
  r->set_resumed_from_step(from);
  r->set_steps_lost(reached > from ? reached - from : 0);
  if (!aggregate->RollBack(from, checkpoints->summary.modelled_from_step())) {
    checkpoints->summary.set_modelled_from_step(from);
  }
  if (notes != nullptr) {
    const std::string where = from == 0 ? "the start" : absl::StrCat("the checkpoint of step ", from);
    std::fprintf(notes,
                 "restart %u of %u after: %s\nevery process starts again from %s (%llu steps "
                 "done again)\n",
                 restart, plan.config.supervision().max_restarts(),
                 std::string(failure.message()).c_str(), where.c_str(),
                 static_cast<unsigned long long>(r->steps_lost()));
  }
  return from;
}

void ModelAfterRejoins(RunAggregate* aggregate, CheckpointSummary* summary) {
  uint64_t from = 0;
  for (const Restart& r : summary->restarts()) {
    from = r.rejoined() ? std::max(from, r.resumed_from_step()) : 0;  // a whole restart rolled back
  }
  if (from == 0) return;
  bool whole = true;
  for (const std::vector<StepRecord>& records : aggregate->records()) {
    for (size_t i = 0; i < records.size(); ++i) {
      whole = whole && records[i].step() == records[0].step() + i;
    }
  }
  if (whole) return;
  for (std::vector<StepRecord>& records : aggregate->records()) {
    records.erase(std::remove_if(records.begin(), records.end(),
                                 [from](const StepRecord& r) { return r.step() <= from; }),
                  records.end());
  }
  summary->set_modelled_from_step(std::max(summary->modelled_from_step(), from));
}

}  // namespace distsim::node
