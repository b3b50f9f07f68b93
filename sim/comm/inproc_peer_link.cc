#include "sim/comm/inproc_peer_link.h"

#include <atomic>
#include <cstddef>
#include <string>

#include "absl/strings/str_cat.h"
#include "sim/comm/frame_mailbox.h"

namespace distsim::comm {
namespace {

// The exchange all links of one group share: one mailbox per rank.
struct Hub {
  Hub(int n, int spin_micros) {
    for (int r = 0; r < n; ++r) {
      mailboxes.push_back(std::make_unique<FrameMailbox>(r, n, spin_micros));
    }
  }
  std::vector<std::unique_ptr<FrameMailbox>> mailboxes;
};

class InProcessLink final : public PeerLink {
 public:
  InProcessLink(std::shared_ptr<Hub> hub, int rank) : hub_(std::move(hub)), rank_(rank) {}
  ~InProcessLink() override {
    // Peers waiting on this rank learn that it is gone.
    for (auto& mailbox : hub_->mailboxes) {
      mailbox->ClosePeer(rank_, absl::UnavailableError(absl::StrCat("rank ", rank_, " left")));
    }
  }

  int rank() const override { return rank_; }
  int size() const override { return static_cast<int>(hub_->mailboxes.size()); }

  absl::Status Send(int to, const FrameTag& tag, std::span<const float> data,
                    absl::Time deadline) override {
    if (aborted_.load()) {
      return absl::CancelledError(absl::StrCat("rank ", rank_, ": link aborted"));
    }
    if (to < 0 || to >= size() || to == rank_) {
      return absl::InvalidArgumentError(
          absl::StrCat("rank ", rank_, " cannot send to rank ", to, " (group of ", size(), ")"));
    }
    auto copy = std::make_shared<std::vector<float>>(data.begin(), data.end());
    InboundFrame frame;
    frame.bytes = copy->size() * sizeof(float);
    frame.pieces.push_back(std::as_bytes(std::span<const float>(*copy)));
    frame.owner = std::move(copy);
    const uint64_t wire = frame.bytes + kInProcessFrameOverhead;
    hub_->mailboxes[to]->Put(rank_, tag, std::move(frame));
    bytes_sent_ += wire;
    return absl::OkStatus();
  }

  absl::Status Recv(int from, const FrameTag& tag, std::span<float> out, absl::Time deadline,
                    RecvMode mode) override {
    absl::Status status = hub_->mailboxes[rank_]->Take(from, tag, out, mode, deadline);
    if (status.ok()) bytes_received_ += out.size() * sizeof(float) + kInProcessFrameOverhead;
    return status;
  }

  void Abort() override {
    aborted_ = true;
    hub_->mailboxes[rank_]->Abort();
  }

  uint64_t bytes_sent() const override { return bytes_sent_.load(); }
  uint64_t bytes_received() const override { return bytes_received_.load(); }
  int blocked_receivers() const override { return hub_->mailboxes[rank_]->waiting(); }

 private:
  std::shared_ptr<Hub> hub_;
  const int rank_;
  std::atomic<bool> aborted_{false};
  std::atomic<uint64_t> bytes_sent_{0};
  std::atomic<uint64_t> bytes_received_{0};
};

}  // namespace

std::vector<std::unique_ptr<PeerLink>> MakeInProcessLinks(int n, int spin_micros) {
  auto hub = std::make_shared<Hub>(n, spin_micros);
  std::vector<std::unique_ptr<PeerLink>> links;
  for (int r = 0; r < n; ++r) links.push_back(std::make_unique<InProcessLink>(hub, r));
  return links;
}

}  // namespace distsim::comm
