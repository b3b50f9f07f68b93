#include "sim/node/run_trace.h"

#include <unistd.h>

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace distsim::node {
namespace {

// The pid a process registered with, or a stand-in for one started by hand elsewhere.
int64_t PidOf(const Coordinator& coordinator, ProcessInfo::Role role, uint32_t rank,
              int64_t stand_in) {
  const int64_t pid = coordinator.pid(role, rank);
  return pid != 0 ? pid : stand_in;
}

report::TraceTrack CoordinatorTrack(double wall_s) {
  report::TraceTrack track;
  track.name = "coordinator";
  track.pid = getpid();
  track.spans.push_back({"run", 0, wall_s});
  return track;
}

// Server shards by rank, each with the spans it reported.
std::vector<report::TraceTrack> ServerTracks(const RunPlan& plan, const Coordinator& coordinator) {
  std::vector<report::TraceTrack> tracks(plan.shape.servers);
  for (int r = 0; r < plan.shape.servers; ++r) {
    tracks[r].name = ProcessName(ProcessInfo::SERVER, r);
    tracks[r].pid = PidOf(coordinator, ProcessInfo::SERVER, r, 1100000 + r);
  }
  for (const ProcessSummary& s : coordinator.summaries(ProcessInfo::SERVER)) {
    const uint32_t rank = s.process().rank();
    if (rank >= tracks.size()) continue;
    tracks[rank].server_spans.assign(s.trace_spans().begin(), s.trace_spans().end());
    if (s.trace_stride() > 1) {
      absl::StrAppend(&tracks[rank].name, " (spans of every ", s.trace_stride(), "th step)");
    }
  }
  return tracks;
}

}  // namespace

std::string ModelledProcessName(const RunConfig& config) {
  const ClusterConfig& cluster = config.cluster();
  const ClusterConfig::ClockMode mode =
      cluster.clock() == ClusterConfig::FLOPS ? ClusterConfig::FLOPS : ClusterConfig::CPU_TIME;
  std::string name = absl::StrCat("modelled cluster (", ClusterConfig::ClockMode_Name(mode),
                                  " clock");
  if (!cluster.instance_type().empty()) absl::StrAppend(&name, ", ", cluster.instance_type());
  return name + ")";
}

std::vector<report::TraceTrack> RunTraceTracks(const RunPlan& plan, const ModelFacts& facts,
                                               const Coordinator& coordinator,
                                               RunRecorder& recorder,
                                               const model::Timeline& timeline, double wall_s) {
  std::vector<report::TraceTrack> tracks = {CoordinatorTrack(wall_s)};
  for (report::TraceTrack& server : ServerTracks(plan, coordinator)) {
    tracks.push_back(std::move(server));
  }
  const model::TimelineSpec spec = TimelineSpecOf(plan.config, plan.shape, facts);
  report::TraceTrack modelled;
  modelled.name = ModelledProcessName(plan.config);
  modelled.pid = 2000000;
  for (int r = 0; r < plan.shape.workers; ++r) {
    report::TraceTrack worker = recorder.tracks()[r];
    worker.name = absl::StrCat(ProcessName(ProcessInfo::WORKER, r), r == 0 ? " (chief)" : "");
    worker.pid = PidOf(coordinator, ProcessInfo::WORKER, r, 1000000 + r);
    worker.worker = r;
    tracks.push_back(std::move(worker));
    std::vector<StepRecord> steps =
        ModelledTrackSteps(spec, recorder.aggregate().records(), timeline, r);
    if (steps.empty()) continue;
    modelled.lanes.push_back({ProcessName(ProcessInfo::WORKER, r), std::move(steps)});
  }
  if (!modelled.lanes.empty()) tracks.push_back(std::move(modelled));
  return tracks;
}

}  // namespace distsim::node
