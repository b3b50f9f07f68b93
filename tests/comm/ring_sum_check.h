// Shared by the transport tests: one ring allreduce (sum) across ranks run as threads over any
// PeerLinks, checked against the sum computed independently in double, and every rank's bits
// against rank 0's.
#ifndef DISTSIM_TESTS_COMM_RING_SUM_CHECK_H_
#define DISTSIM_TESTS_COMM_RING_SUM_CHECK_H_

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <thread>
#include <vector>

#include "kernels/random.h"
#include "sim/comm/peer_link.h"
#include "sim/strategy/ring_allreduce.h"

namespace distsim::comm {

// `links[r]` is rank r's link; `step` tags this call (use a new value per call).
inline void ExpectRingSumMatches(const std::vector<PeerLink*>& links, int64_t len, uint64_t step,
                                 int64_t segment_bytes) {
  const int n = static_cast<int>(links.size());
  SCOPED_TRACE(testing::Message() << "n=" << n << " len=" << len);
  std::vector<std::vector<float>> data(n, std::vector<float>(len));
  for (int r = 0; r < n; ++r) {
    for (int64_t i = 0; i < len; ++i) {
      data[r][i] = static_cast<float>(kernels::RandomNormal(kernels::StreamKey(len, r), i));
    }
  }
  const auto inputs = data;
  std::vector<absl::Status> statuses(n);
  std::vector<std::thread> threads;
  for (int r = 0; r < n; ++r) {
    threads.emplace_back([&, r] {
      strategy::RingAllreduceOptions options;
      options.segment_bytes = segment_bytes;
      options.average = false;
      options.step = step;
      options.stall_timeout = absl::Seconds(20);
      statuses[r] = strategy::RingAllreduce(*links[r], data[r], options);
    });
  }
  for (auto& t : threads) t.join();
  for (int r = 0; r < n; ++r) ASSERT_TRUE(statuses[r].ok()) << statuses[r];
  for (int64_t i = 0; i < len; ++i) {
    double exact = 0, magnitude = 0;
    for (int r = 0; r < n; ++r) {
      exact += inputs[r][i];
      magnitude += std::abs(inputs[r][i]);
    }
    for (int r = 0; r < n; ++r) {
      ASSERT_NEAR(data[r][i], exact, (n + 1) * std::numeric_limits<float>::epsilon() * magnitude)
          << "rank " << r << " element " << i;
      ASSERT_EQ(data[r][i], data[0][i]) << "rank " << r << " differs from rank 0";
    }
  }
}

}  // namespace distsim::comm

#endif  // DISTSIM_TESTS_COMM_RING_SUM_CHECK_H_
