#include "sim/comm/fan_out.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace distsim::comm {
namespace {

TEST(FanOutTest, RunsEveryIndexOncePerRunOnItsOwnThread) {
  FanOut fan_out(4);
  for (int run = 0; run < 50; ++run) {
    std::vector<std::atomic<int>> calls(4);
    std::vector<std::thread::id> ids(4);
    ASSERT_TRUE(fan_out
                    .Run([&](int i) {
                      ++calls[i];
                      ids[i] = std::this_thread::get_id();
                      return absl::OkStatus();
                    })
                    .ok());
    for (int i = 0; i < 4; ++i) EXPECT_EQ(calls[i].load(), 1) << "run " << run << " index " << i;
    EXPECT_EQ(ids[0], std::this_thread::get_id()) << "fn(0) runs on the caller's thread";
    for (int i = 1; i < 4; ++i) EXPECT_NE(ids[i], ids[0]);
  }
}

TEST(FanOutTest, TheCallsRunAtTheSameTime) {
  // Every call waits until all four have started: run one after another, they would time out.
  FanOut fan_out(4);
  absl::Mutex mu;
  int started = 0;
  std::atomic<int> timed_out{0};
  ASSERT_TRUE(fan_out
                  .Run([&](int) {
                    absl::MutexLock lock(&mu);
                    ++started;
                    auto all = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return started == 4; };
                    if (!mu.AwaitWithTimeout(absl::Condition(&all), absl::Seconds(20))) ++timed_out;
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(timed_out.load(), 0);
}

TEST(FanOutTest, ReturnsTheFirstErrorThatIsNotACancellation) {
  FanOut fan_out(3);
  absl::Status status = fan_out.Run([](int i) {
    if (i == 0) return absl::CancelledError("a consequence");
    if (i == 2) return absl::UnavailableError("shard 2 is gone");
    return absl::OkStatus();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(status.message(), "shard 2 is gone");
  EXPECT_TRUE(fan_out.Run([](int) { return absl::OkStatus(); }).ok()) << "no error carried over";
}

TEST(FanOutTest, OneAndZeroRunOnTheCaller) {
  int calls = 0;
  FanOut one(1);
  EXPECT_TRUE(one.Run([&](int i) {
                   calls += i + 1;
                   return absl::OkStatus();
                 })
                  .ok());
  EXPECT_EQ(calls, 1);
  FanOut none(0);
  EXPECT_TRUE(none.Run([&](int) {
                    ++calls;
                    return absl::InternalError("never called");
                  })
                  .ok());
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace distsim::comm
