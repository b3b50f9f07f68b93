#include "sim/cli/summary.h"

#include <cstdio>
#include <string>

#include "absl/strings/str_format.h"
#include "sim/report/chance.h"
#include "sim/report/chart_text.h"
#include "sim/report/compare_table.h"
#include "sim/report/restarts.h"

namespace distsim::cli {
namespace {

using report::FormatBytes;
using report::FormatSeconds;

// The distributed run's step split, bytes per step and staleness.
void PrintExchange(const RunResult& r) {
  if (r.worker_stats_size() == 0) return;
  const TimeSplit& t = r.time_split();
  std::printf(
      "  step time: compute %.0f%%  communication %.0f%%  waiting %.0f%%  data %.0f%%  "
      "update %.0f%%\n",
      100 * t.compute(), 100 * t.communication(), 100 * t.waiting(), 100 * t.data(),
      100 * t.update());
  double bytes = 0;
  for (const WorkerStats& w : r.worker_stats()) bytes += w.bytes_per_step();
  std::printf("  on the wire per worker per step: %s\n",
              FormatBytes(bytes / r.worker_stats_size()).c_str());
  if (r.staleness().updates() > 0) {
    std::printf("  staleness of %llu updates: mean %.2f  p99 %.0f  max %llu\n",
                static_cast<unsigned long long>(r.staleness().updates()), r.staleness().mean(),
                r.staleness().p99(), static_cast<unsigned long long>(r.staleness().max()));
  }
}

// The modelled clock of the run on its simulated cluster, if it has one.
void PrintModelled(const RunResult& r) {
  if (!(r.has_modelled() && r.modelled().seconds() > 0)) return;
  const ModelledClock& m = r.modelled();
  std::string on = m.instance_type().empty()
                       ? std::string("this machine's cores")
                       : absl::StrFormat("%u x %s", m.hosts(), m.instance_type());
  std::printf(
      "  modelled on %s (%s clock, %g Gbit/s, %g us): %s, %.0f samples/s, step "
      "%.3f ms;\n    compute %.0f%%  communication %.0f%%  waiting %.0f%%  (%s)%s\n",
      on.c_str(), m.clock_mode().c_str(), m.bandwidth_gbps(), m.latency_us(),
      FormatSeconds(m.seconds()).c_str(), m.samples_per_second(), m.step_ms_mean(),
      100 * m.compute_share(), 100 * m.communication_share(), 100 * m.waiting_share(),
      m.order().c_str(),
      m.cost_usd() > 0 ? absl::StrFormat("  cost $%.4f", m.cost_usd()).c_str() : "");
}

// What a person should notice (a run that learned nothing, dropped pushes) and the memory the
// run's processes held.
void PrintNotes(const RunResult& r) {
  if (const std::string note = report::ChanceNote(r); !note.empty()) {
    std::printf("  note: %s\n", note.c_str());
  }
  if (r.memory().processes() > 0) {
    const MemoryStats& m = r.memory();
    std::printf(
        "  memory of %u processes: %s PSS in all (%s each on average, at most %s), "
        "launcher %s\n",
        m.processes(), FormatBytes(m.pss_total_bytes()).c_str(),
        FormatBytes(m.pss_total_bytes() / m.processes()).c_str(),
        FormatBytes(m.pss_max_bytes()).c_str(), FormatBytes(m.launcher_pss_bytes()).c_str());
  }
  uint64_t skipped = 0;
  for (const ServerStats& s : r.server_stats()) skipped += s.pushes_skipped();
  if (skipped > 0) {
    std::printf(
        "  note: %llu push(es) held a non-finite gradient and were dropped, not applied "
        "(parameter_server.on_bad_gradient SKIP)\n",
        static_cast<unsigned long long>(skipped));
  }
}

// Each restart (supervision.max_restarts): who failed, and where the run, or the one worker
// that rejoined alone, went on from.
void PrintRestarts(const RunResult& r) {
  const CheckpointSummary& c = r.checkpoints();
  for (int i = 0; i < c.restarts_size(); ++i) {
    std::printf("  restart %d: %s\n", i + 1, report::DescribeRestart(c.restarts(i)).c_str());
  }
}

}  // namespace

void PrintCompare(const CompareResult& result) {
  std::printf("\n%s", report::FormatCompareTable(result).c_str());
  if (result.findings_size() > 0) std::printf("\nwhat the numbers show:\n");
  for (const std::string& finding : result.findings()) std::printf("  - %s\n", finding.c_str());
}

void PrintSummary(const RunResult& r, const std::string& out_dir) {
  std::printf("\n%s: %s, %s\n", r.config().name().c_str(),
              r.config().model().ShortDebugString().c_str(),
              r.strategy().empty() ? "local" : r.strategy().c_str());
  std::printf("  steps %llu  samples %llu  epochs %.2f  parameters %llu\n",
              static_cast<unsigned long long>(r.steps()),
              static_cast<unsigned long long>(r.samples()), r.epochs(),
              static_cast<unsigned long long>(r.parameter_count()));
  std::printf("  final test accuracy %.2f%%  test loss %.4f  train loss %.4f\n",
              100.0 * r.final_test_accuracy(), r.final_test_loss(), r.final_train_loss());
  PrintNotes(r);
  std::printf(
      "  wall %s (training %s, evaluation %s)  %.0f samples/s overall, %.0f "
      "in training steps\n",
      FormatSeconds(r.wall_seconds()).c_str(), FormatSeconds(r.train_seconds()).c_str(),
      FormatSeconds(r.eval_seconds()).c_str(), r.samples_per_second(),
      r.train_seconds() > 0 ? r.samples() / r.train_seconds() : 0.0);
  std::printf("  step time p50 %.3f ms  p90 %.3f ms  p99 %.3f ms (after %u warm-up steps)\n",
              r.step_times().p50_ms(), r.step_times().p90_ms(), r.step_times().p99_ms(),
              r.step_times().warmup_steps());
  PrintExchange(r);
  PrintModelled(r);
  if (r.nic_bytes() > 0) {
    uint64_t sent = 0;
    for (const WorkerStats& w : r.worker_stats()) sent += w.bytes_sent();
    std::printf("  sent by the workers: %s by the RPC layer, %s across simulated NICs\n",
                FormatBytes(static_cast<double>(sent)).c_str(),
                FormatBytes(static_cast<double>(r.nic_bytes())).c_str());
  }
  for (const std::string& f : r.faults()) std::printf("  fault: %s\n", f.c_str());
  PrintRestarts(r);
  for (uint32_t w : r.workers_lost()) {
    std::printf("  lost worker %u; the run went on without it\n", w);
  }
  if (!out_dir.empty()) {
    std::printf("  wrote %s/result.json and %s/steps.csv\n", out_dir.c_str(), out_dir.c_str());
  }
}

}  // namespace distsim::cli
