#include "sim/node/link_probe.h"

#include <algorithm>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "sim/base/clock.h"
#include "sim/base/status.h"
#include "sim/comm/nic.h"
#include "sim/comm/tcp_peer_link.h"
#include "sim/node/modelled.h"
#include "sim/report/stats.h"

namespace distsim::node {

LinkProbe SummarizeProbe(std::vector<std::pair<double, double>> samples, int repeats) {
  LinkProbe probe;
  probe.repeats = repeats;
  std::map<double, std::vector<double>> by_size;
  for (const auto& [bytes, seconds] : samples) by_size[bytes].push_back(seconds);
  for (const auto& [bytes, times] : by_size) {
    const double median = report::Quantile(times, 0.5);
    probe.medians.emplace_back(bytes, median);
    if (median <= 0) continue;
    const double spread = (report::Quantile(times, 0.75) - report::Quantile(times, 0.25)) / median;
    probe.spread = std::max(probe.spread, spread);
  }
  probe.samples = std::move(samples);
  return probe;
}

absl::StatusOr<LinkProbe> ProbeLink(const RunConfig& config, int repeats) {
  const NetworkConfig& net = config.cluster().network();
  std::shared_ptr<comm::NicTable> table;
  if (net.shape()) {
    const comm::NicModel nic = NicModelOf(net);
    DS_RETURN_IF_ERROR(comm::ValidateNicModel(nic));
    table = comm::NicTable::CreateLocal(2, nic);
  }
  constexpr int64_t kMaxBytes = 1 << 20;
  std::vector<std::unique_ptr<comm::TcpPeerLink>> links;
  std::vector<std::string> addresses;
  for (int r = 0; r < 2; ++r) {
    comm::TcpPeerLinkOptions options;
    options.rank = r;
    options.size = 2;
    options.run_token = "link-probe";
    options.max_frame_bytes = kMaxBytes;
    if (table) {
      options.nic = std::make_shared<comm::NicPort>(table, r, config.seed() + r);
      options.rank_host = {0, 1};
    }
    links.push_back(std::make_unique<comm::TcpPeerLink>(options));
    DS_ASSIGN_OR_RETURN(int port, links.back()->Listen());
    addresses.push_back(absl::StrCat("127.0.0.1:", port));
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  // Connect blocks until the peer accepts: both ranks at once.
  absl::Status connected0;
  std::thread connector([&] { connected0 = links[0]->Connect(addresses, deadline); });
  absl::Status connected1 = links[1]->Connect(addresses, deadline);
  connector.join();
  DS_RETURN_IF_ERROR(connected0);
  DS_RETURN_IF_ERROR(connected1);

  std::vector<std::pair<double, double>> samples;
  std::vector<float> out, in;
  uint64_t step = 0;
  for (int repeat = 0; repeat < repeats; ++repeat) {
    for (int64_t bytes : {4 << 10, 64 << 10, 256 << 10, 1 << 20}) {
      out.assign(bytes / 4, 1.0f);
      in.resize(bytes / 4);
      const comm::FrameTag tag{1, ++step, 0};
      Stopwatch watch;
      // Far generous deadlines: 1 MiB at the slowest allowed bandwidth still fits.
      const absl::Time until = absl::Now() + absl::Seconds(120);
      DS_RETURN_IF_ERROR(links[0]->Send(1, tag, out, until));
      DS_RETURN_IF_ERROR(
          links[1]->Recv(0, tag, std::span<float>(in), until, comm::RecvMode::kCopy));
      samples.emplace_back(static_cast<double>(bytes), watch.Seconds());
    }
  }
  for (auto& link : links) link->Close(absl::Now() + absl::Seconds(1));
  return SummarizeProbe(std::move(samples), repeats);
}

}  // namespace distsim::node
