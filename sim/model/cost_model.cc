#include "sim/model/cost_model.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "sim/base/check.h"

namespace distsim::model {
namespace {

// The bytes of the busiest NIC direction when all `transfers` run at once, and whether any of
// them crosses a NIC at all (a 0-byte message still does).
struct Load {
  double busiest_bytes = 0;
  bool crosses = false;
};

Load BusiestDirection(std::span<const Transfer> transfers) {
  absl::flat_hash_map<int, double> egress, ingress;
  Load load;
  for (const Transfer& t : transfers) {
    if (t.from_host == t.to_host) continue;
    load.crosses = true;
    load.busiest_bytes = std::max(load.busiest_bytes, egress[t.from_host] += t.bytes);
    load.busiest_bytes = std::max(load.busiest_bytes, ingress[t.to_host] += t.bytes);
  }
  return load;
}

std::vector<Transfer> PsTransfers(const std::vector<int>& worker_host,
                                  const std::vector<int>& server_host,
                                  const std::vector<double>& shard_bytes, bool push) {
  DS_CHECK(server_host.size() == shard_bytes.size());
  std::vector<Transfer> transfers;
  for (int w : worker_host) {
    for (size_t j = 0; j < server_host.size(); ++j) {
      if (shard_bytes[j] <= 0) continue;
      transfers.push_back(push ? Transfer{w, server_host[j], shard_bytes[j]}
                               : Transfer{server_host[j], w, shard_bytes[j]});
    }
  }
  return transfers;
}

// Per phase, the bytes the busiest server moves through its host's NIC and the bytes the busiest
// worker moves: which side of the network a parameter-server phase waits for. (Push and pull are
// mirror images, so one figure serves both.)
struct RoleLoads {
  double server = 0;
  double worker = 0;
};

RoleLoads PsRoleLoads(const std::vector<int>& worker_host, const std::vector<int>& server_host,
                      const std::vector<double>& shard_bytes) {
  absl::flat_hash_map<int, double> server_bytes, worker_bytes;
  RoleLoads loads;
  for (int w : worker_host) {
    for (size_t j = 0; j < server_host.size(); ++j) {
      if (shard_bytes[j] <= 0 || server_host[j] == w) continue;
      loads.server = std::max(loads.server, server_bytes[server_host[j]] += shard_bytes[j]);
      loads.worker = std::max(loads.worker, worker_bytes[w] += shard_bytes[j]);
    }
  }
  return loads;
}

// Where the processes of a parameter-server prediction sit (see Predict in the header).
struct PsLayout {
  std::vector<int> worker_host;
  std::vector<int> server_host;
  std::vector<double> shard_bytes;
  int hosts = 0;
};

PsLayout MakePsLayout(int n, int servers, bool colocated, double model_bytes) {
  PsLayout layout;
  const int k = colocated ? n : servers;
  const int first_worker_host = colocated ? 0 : k;
  for (int j = 0; j < k; ++j) layout.server_host.push_back(j);
  for (int i = 0; i < n; ++i) layout.worker_host.push_back(first_worker_host + i);
  layout.shard_bytes.assign(k, model_bytes / k);
  layout.hosts = colocated ? n : k + n;
  return layout;
}

// One phase's alpha, if the phase sends anything across a NIC.
double AlphaPart(double phase_s, const Network& net) { return phase_s > 0 ? net.alpha_s : 0; }

}  // namespace

double WireSeconds(double bytes, const Network& net) {
  return net.bytes_per_s > 0 ? bytes / net.bytes_per_s : 0;
}

double MeanLossDelay(double bytes, const Network& net) {
  if (net.loss <= 0 || bytes <= 0) return 0;
  return std::ceil(bytes / net.packet_bytes) * net.loss * net.loss_round_trip_s;
}

// E[max of m draws of Binomial(n, p)] = sum over k >= 0 of P(max > k) = sum of 1 - F(k)^m, with
// F the binomial's CDF. Below k0 = mean - 12 standard deviations F is below 1e-30, so each of
// those k adds 1 exactly; from k0 the pmf is walked upward in logs (pmf(k + 1) = pmf(k) (n - k)
// p / ((k + 1)(1 - p)), pmf(k0) from lgamma), so a large n neither overflows nor underflows, and
// the sum stops once what is left past the mean is below 1e-12. A phase repeats its sizes step
// after step, so results are remembered.
double ExpectedMaxBinomial(int64_t n, double p, int m) {
  static thread_local std::map<std::tuple<int64_t, double, int>, double> memo;
  const auto key = std::make_tuple(n, p, m);
  if (const auto it = memo.find(key); it != memo.end()) return it->second;
  double expected = 0;
  if (p >= 1) {
    expected = static_cast<double>(n);
  } else if (p > 0 && n > 0) {
    const double mean = static_cast<double>(n) * p;
    const double sd = std::sqrt(mean * (1 - p));
    const auto k0 = static_cast<int64_t>(std::max(0.0, std::floor(mean - 12 * sd)));
    const double log_ratio = std::log(p) - std::log1p(-p);
    const auto nd = static_cast<double>(n), k0d = static_cast<double>(k0);
    double log_pmf = std::lgamma(nd + 1) - std::lgamma(k0d + 1) - std::lgamma(nd - k0d + 1) +
                     k0d * std::log(p) + (nd - k0d) * std::log1p(-p);
    double cdf = 0;
    expected = k0d;
    for (int64_t k = k0; k < n; ++k) {
      cdf = std::min(1.0, cdf + std::exp(log_pmf));
      const double term = 1 - std::pow(cdf, m);
      expected += term;
      // Past the mean the tail left is about m times the pmf: stop when that is negligible
      // (testing 1 - F^m instead would wait on F's rounding error, near n for a large n).
      if (k > mean && (term < 1e-12 || m * std::exp(log_pmf) < 1e-15)) break;
      log_pmf +=
          std::log(static_cast<double>(n - k)) - std::log(static_cast<double>(k + 1)) + log_ratio;
    }
  }
  if (memo.size() > 4096) memo.clear();
  memo[key] = expected;
  return expected;
}

double ExpectedMaxLossDelay(double bytes, int messages, const Network& net) {
  if (net.loss <= 0 || bytes <= 0 || messages <= 0) return 0;
  const auto packets = static_cast<int64_t>(std::ceil(bytes / net.packet_bytes));
  return net.loss_round_trip_s * ExpectedMaxBinomial(packets, net.loss, messages);
}

double PhaseSeconds(std::span<const Transfer> transfers, const Network& net) {
  const Load load = BusiestDirection(transfers);
  if (!load.crosses) return 0;
  double wire = WireSeconds(load.busiest_bytes, net);
  if (net.loss > 0) {
    // Lost packets delay their own message but leave the NIC free for the others': the phase
    // ends when the busiest NIC has drained or the slowest message has arrived. Messages of one
    // size are drawn together: the phase waits for the worst of them.
    std::map<double, int> messages_of_size;
    for (const Transfer& t : transfers) {
      if (t.from_host != t.to_host) ++messages_of_size[t.bytes];
    }
    for (const auto& [bytes, count] : messages_of_size) {
      wire = std::max(wire, WireSeconds(bytes, net) + ExpectedMaxLossDelay(bytes, count, net));
    }
  }
  return net.alpha_s + wire;
}

double RingAllreduceSeconds(const std::vector<int>& rank_host, double model_bytes,
                            const Network& net) {
  const int n = static_cast<int>(rank_host.size());
  if (n <= 1) return 0;
  // Every one of the 2(n - 1) phases moves the same chunk size along the same edges, so they
  // all cost the same.
  std::vector<Transfer> phase;
  for (int r = 0; r < n; ++r) {
    phase.push_back(Transfer{rank_host[r], rank_host[(r + 1) % n], model_bytes / n});
  }
  return 2.0 * (n - 1) * PhaseSeconds(phase, net);
}

double PsPhaseSeconds(const std::vector<int>& worker_host, const std::vector<int>& server_host,
                      const std::vector<double>& shard_bytes, bool push, const Network& net) {
  // A pull is a request and its reply, a push its chunks and an ack: a round trip of latency
  // around the transfer whenever a NIC is crossed.
  const double phase = PhaseSeconds(PsTransfers(worker_host, server_host, shard_bytes, push), net);
  return phase > 0 ? phase + net.alpha_s : 0;
}

namespace {

// A strategy's step, and what tells its bottleneck apart.
struct StepEstimate {
  double step_s = 0;
  double alpha_part = 0;  // of the communication on the critical path
  bool async_capped = false;
  RoleLoads loads;
  int hosts = 0;
};

StepEstimate RingStep(int n, const PredictInput& in) {
  StepEstimate e;
  e.hosts = n;
  std::vector<int> rank_host(n);
  for (int r = 0; r < n; ++r) rank_host[r] = r;
  const double ring_s = RingAllreduceSeconds(rank_host, in.model_bytes, in.net);
  e.step_s = in.compute_s + ring_s;
  e.alpha_part = ring_s > 0 ? 2.0 * (n - 1) * in.net.alpha_s : 0;
  return e;
}

StepEstimate PsSyncStep(const PsLayout& ps, const PredictInput& in) {
  StepEstimate e;
  e.hosts = ps.hosts;
  const double pull = PsPhaseSeconds(ps.worker_host, ps.server_host, ps.shard_bytes, false, in.net);
  const double push = PsPhaseSeconds(ps.worker_host, ps.server_host, ps.shard_bytes, true, in.net);
  e.step_s = pull + in.compute_s + push;
  e.alpha_part = 2 * (AlphaPart(pull, in.net) + AlphaPart(push, in.net));
  e.loads = PsRoleLoads(ps.worker_host, ps.server_host, ps.shard_bytes);
  return e;
}

// Also sets the row's step_s_in_step: the step if the workers move together.
StepEstimate PsAsyncStep(const PsLayout& ps, int n, const PredictInput& in, PredictRow* row) {
  const double c = in.compute_s;
  StepEstimate e;
  e.hosts = ps.hosts;
  // Each worker on its own, with nobody else on the network; the slowest of them.
  double t_alone = c;
  for (int w : ps.worker_host) {
    const std::vector<int> alone = {w};
    const double pull = PsPhaseSeconds(alone, ps.server_host, ps.shard_bytes, false, in.net);
    const double push = PsPhaseSeconds(alone, ps.server_host, ps.shard_bytes, true, in.net);
    if (pull + c + push >= t_alone) {
      t_alone = pull + c + push;
      e.alpha_part = 2 * (AlphaPart(pull, in.net) + AlphaPart(push, in.net));
      e.loads = PsRoleLoads(alone, ps.server_host, ps.shard_bytes);
    }
  }
  // The NICs' cap: in a round where every worker pushes and pulls once, the busiest host
  // direction carries `round.busiest_bytes`, and can do that bytes_per_s / those bytes
  // rounds a second.
  std::vector<Transfer> round = PsTransfers(ps.worker_host, ps.server_host, ps.shard_bytes, false);
  const std::vector<Transfer> pushes =
      PsTransfers(ps.worker_host, ps.server_host, ps.shard_bytes, true);
  round.insert(round.end(), pushes.begin(), pushes.end());
  const Load load = BusiestDirection(round);
  double updates_per_s = n / t_alone;
  if (in.net.bytes_per_s > 0 && load.busiest_bytes > 0) {
    const double cap = n * in.net.bytes_per_s / load.busiest_bytes;
    if (cap < updates_per_s) {
      updates_per_s = cap;
      e.async_capped = true;
    }
  }
  e.step_s = n / updates_per_s;
  // If the workers move in step instead (they start together, and a fair-shared NIC keeps
  // them together): every pull, then every push, at once, as SYNC without its barrier.
  row->set_step_s_in_step(
      PsPhaseSeconds(ps.worker_host, ps.server_host, ps.shard_bytes, false, in.net) + c +
      PsPhaseSeconds(ps.worker_host, ps.server_host, ps.shard_bytes, true, in.net));
  return e;
}

// The row's throughput, efficiency, cost and bottleneck from the step.
void FillRow(const StepEstimate& e, int n, const PredictInput& in, PredictRow* row) {
  const double c = in.compute_s;
  const double step_s = e.step_s;
  const double comm_s = step_s - c;
  const double samples_per_s = n * in.batch / step_s;
  const double epoch_s = in.examples_per_epoch / samples_per_s;
  row->set_step_s(step_s);
  row->set_compute_s(c);
  row->set_communication_s(comm_s);
  row->set_samples_per_second(samples_per_s);
  row->set_efficiency(samples_per_s / (n * in.batch / c));
  row->set_epoch_s(epoch_s);
  row->set_cost_per_epoch_usd(e.hosts * in.price_per_host_hour * epoch_s / 3600.0);
  if (c >= comm_s) {
    row->set_bottleneck("compute");
  } else if (e.async_capped) {
    row->set_bottleneck("server NIC");
  } else if (e.alpha_part > comm_s / 2) {
    row->set_bottleneck("latency");
  } else if (e.loads.server > e.loads.worker) {
    row->set_bottleneck("server NIC");
  } else {
    row->set_bottleneck("worker NIC");
  }
}

}  // namespace

PredictRow Predict(PredictStrategy strategy, int workers, int servers, bool colocated,
                   const PredictInput& in) {
  DS_CHECK(workers >= 1);
  DS_CHECK(in.compute_s > 0);
  DS_CHECK(in.batch > 0);
  const int n = workers;
  PredictRow row;
  row.set_workers(n);
  StepEstimate estimate;
  if (strategy == PredictStrategy::kRing) {
    row.set_strategy("ring");
    estimate = RingStep(n, in);
  } else {
    DS_CHECK(colocated || servers >= 1);
    const PsLayout ps = MakePsLayout(n, servers, colocated, in.model_bytes);
    row.set_servers(static_cast<uint32_t>(ps.server_host.size()));
    if (strategy == PredictStrategy::kPsSync) {
      row.set_strategy("ps SYNC");
      estimate = PsSyncStep(ps, in);
    } else {
      row.set_strategy("ps ASYNC");
      estimate = PsAsyncStep(ps, n, in, &row);
    }
  }
  FillRow(estimate, n, in, &row);
  return row;
}

absl::StatusOr<Network> FitAlphaBeta(std::span<const std::pair<double, double>> bytes_and_seconds,
                                     double* rel_rms_error) {
  std::set<double> sizes;
  for (size_t i = 0; i < bytes_and_seconds.size(); ++i) {
    const auto [bytes, seconds] = bytes_and_seconds[i];
    if (!std::isfinite(bytes) || !std::isfinite(seconds) || bytes < 0 || seconds < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("alpha-beta fit: sample ", i, " (", bytes, " bytes, ", seconds,
                       " s) must have finite, non-negative bytes and seconds"));
    }
    sizes.insert(bytes);
  }
  if (sizes.size() < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("alpha-beta fit needs messages of at least 2 distinct sizes; got ",
                     bytes_and_seconds.size(), " samples of ", sizes.size(), " size(s)"));
  }
  const double m = static_cast<double>(bytes_and_seconds.size());
  double mean_x = 0, mean_y = 0;
  for (const auto& [x, y] : bytes_and_seconds) {
    mean_x += x / m;
    mean_y += y / m;
  }
  double sxx = 0, sxy = 0, xx = 0, xy = 0;
  for (const auto& [x, y] : bytes_and_seconds) {
    sxx += (x - mean_x) * (x - mean_x);
    sxy += (x - mean_x) * (y - mean_y);
    xx += x * x;
    xy += x * y;
  }
  double beta = sxy / sxx;  // sxx > 0: two distinct sizes
  double alpha = mean_y - beta * mean_x;
  // A negative latency is noise around a small one: the best line through the origin instead.
  if (alpha < 0) {
    alpha = 0;
    beta = xy / xx;
  }
  // Time that does not grow with size: the network is not what limits these messages.
  if (beta <= 0) {
    beta = 0;
    alpha = mean_y;
  }
  if (rel_rms_error != nullptr) {
    double sum_sq = 0;
    int counted = 0;
    for (const auto& [x, y] : bytes_and_seconds) {
      if (y <= 0) continue;
      const double rel = (alpha + x * beta - y) / y;
      sum_sq += rel * rel;
      ++counted;
    }
    *rel_rms_error = counted > 0 ? std::sqrt(sum_sq / counted) : 0;
  }
  Network net;
  net.alpha_s = alpha;
  net.bytes_per_s = beta > 0 ? 1.0 / beta : 0;
  return net;
}

}  // namespace distsim::model
