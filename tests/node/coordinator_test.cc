// The coordinator's logic without processes or RPC: registration into the peer table, liveness
// from heartbeats, workers lost under CONTINUE, and when everyone is told to shut down or abort.
#include "sim/node/coordinator.h"

#include <unistd.h>

#include <string>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/node/process_util.h"

namespace distsim::node {
namespace {

ProcessInfo Process(ProcessInfo::Role role, uint32_t rank, int64_t pid) {
  ProcessInfo p;
  p.set_role(role);
  p.set_rank(rank);
  p.set_pid(pid);
  p.set_address("127.0.0.1:" + std::to_string(9000 + pid));
  return p;
}

comm::HeartbeatAnswer Beat(Coordinator& c, ProcessInfo::Role role, uint32_t rank,
                           uint64_t step = 0) {
  comm::HeartbeatData data;
  data.role = role;
  data.rank = rank;
  data.step = step;
  return c.Heartbeat(std::move(data));
}

ProcessSummary Done(ProcessInfo::Role role, uint32_t rank) {
  ProcessSummary s;
  s.mutable_process()->set_role(role);
  s.mutable_process()->set_rank(rank);
  return s;
}

// One server, two workers, all registered.
void RegisterAll(Coordinator& c) {
  ASSERT_TRUE(c.Register(Process(ProcessInfo::SERVER, 0, 10)).ok());
  ASSERT_TRUE(c.Register(Process(ProcessInfo::WORKER, 0, 20)).ok());
  ASSERT_TRUE(c.Register(Process(ProcessInfo::WORKER, 1, 21)).ok());
}

TEST(CoordinatorTest, PeerTableOnlyOnceEveryProcessRegistered) {
  Coordinator c(1, 2, absl::Seconds(60));
  ASSERT_TRUE(c.Register(Process(ProcessInfo::SERVER, 0, 10)).ok());
  ASSERT_TRUE(c.Register(Process(ProcessInfo::WORKER, 1, 21)).ok());
  EXPECT_FALSE(c.peers_ready());
  EXPECT_FALSE(c.WaitForPeers(absl::ZeroDuration()).has_value());
  ASSERT_TRUE(c.Register(Process(ProcessInfo::WORKER, 0, 20)).ok());
  std::optional<PeerTable> table = c.WaitForPeers(absl::ZeroDuration());
  ASSERT_TRUE(table.has_value());
  ASSERT_EQ(table->workers_size(), 2);
  EXPECT_EQ(table->workers(0).pid(), 20);  // by rank, not by arrival
  EXPECT_EQ(table->workers(1).address(), "127.0.0.1:9021");
  EXPECT_EQ(table->servers(0).pid(), 10);
  EXPECT_EQ(c.pid(ProcessInfo::WORKER, 1), 21);
}

TEST(CoordinatorTest, RefusesStrangersAndADoubleRegistration) {
  Coordinator c(1, 2, absl::Seconds(60));
  absl::Status stranger = c.Register(Process(ProcessInfo::WORKER, 2, 22));
  EXPECT_TRUE(absl::IsInvalidArgument(stranger));
  EXPECT_NE(stranger.message().find("worker 2 (pid 22) is not part of this run"),
            std::string::npos)
      << stranger;
  ASSERT_TRUE(c.Register(Process(ProcessInfo::WORKER, 0, 20)).ok());
  EXPECT_TRUE(c.Register(Process(ProcessInfo::WORKER, 0, 20)).ok());  // the same process again
  absl::Status twice = c.Register(Process(ProcessInfo::WORKER, 0, 30));
  EXPECT_NE(twice.message().find("registered twice: pid 20, then pid 30"), std::string::npos)
      << twice;
  EXPECT_EQ(Beat(c, ProcessInfo::SERVER, 5).command, comm::Command::kAbort);
}

// A worker whose process died rejoins (ASYNC, SSP): once the launcher expects it, a new pid and
// address of that rank are taken in place of the old; until then it is neither silent nor
// missing, and past the deadline it is lost. Its heartbeats say where it went on.
TEST(CoordinatorTest, ARejoiningWorkerIsTakenBackWithItsNewPidAndAddress) {
  Coordinator c(1, 2, absl::Milliseconds(100));
  RegisterAll(c);
  Beat(c, ProcessInfo::WORKER, 1, 7);
  EXPECT_FALSE(c.Register(Process(ProcessInfo::WORKER, 1, 31)).ok());  // not expected yet
  c.ExpectRejoin(1, absl::Now() + absl::Seconds(60));
  absl::SleepFor(absl::Milliseconds(150));
  Beat(c, ProcessInfo::SERVER, 0);
  Beat(c, ProcessInfo::WORKER, 0);
  EXPECT_TRUE(c.CheckLiveness(absl::InfinitePast()).ok());  // rejoining is not silence
  ASSERT_TRUE(c.Register(Process(ProcessInfo::WORKER, 1, 31)).ok());
  EXPECT_EQ(c.pid(ProcessInfo::WORKER, 1), 31);
  std::optional<PeerTable> table = c.WaitForPeers(absl::ZeroDuration());
  ASSERT_TRUE(table.has_value());
  EXPECT_EQ(table->workers(1).address(), "127.0.0.1:9031");
  EXPECT_FALSE(c.rejoined(1).has_value());
  comm::HeartbeatData data;
  data.role = ProcessInfo::WORKER;
  data.rank = 1;
  data.rejoined = true;
  data.resumed_from_step = 9;
  data.steps_redone = 1;
  EXPECT_EQ(c.Heartbeat(std::move(data)).command, comm::Command::kContinue);
  ASSERT_TRUE(c.rejoined(1).has_value());
  EXPECT_EQ(c.rejoined(1)->from, 9u);
  EXPECT_EQ(c.rejoined(1)->redone, 1u);
  EXPECT_EQ(c.last_step(ProcessInfo::WORKER, 1), 7u);

  c.ExpectRejoin(0, absl::InfinitePast());  // a new worker 0 that never comes
  absl::Status lost = c.CheckLiveness(absl::InfiniteFuture());
  EXPECT_TRUE(absl::IsUnavailable(lost));
  EXPECT_NE(lost.message().find("worker 0 did not rejoin"), std::string::npos) << lost;
}

TEST(CoordinatorTest, NamesTheProcessThatNeverRegistered) {
  Coordinator c(1, 2, absl::Seconds(60));
  ASSERT_TRUE(c.Register(Process(ProcessInfo::SERVER, 0, 10)).ok());
  ASSERT_TRUE(c.Register(Process(ProcessInfo::WORKER, 0, 20)).ok());
  EXPECT_TRUE(c.CheckLiveness(absl::InfiniteFuture()).ok());
  absl::Status late = c.CheckLiveness(absl::InfinitePast());
  EXPECT_TRUE(absl::IsUnavailable(late));
  EXPECT_NE(late.message().find("worker 1 never registered"), std::string::npos) << late;
}

TEST(CoordinatorTest, ASilentProcessIsDeadAfterTheHeartbeatTimeout) {
  Coordinator c(1, 2, absl::Milliseconds(100));
  RegisterAll(c);
  Beat(c, ProcessInfo::WORKER, 1, 7);
  // Keep the others beating; worker 1 falls silent after step 7.
  absl::Status live;
  int64_t silent_pid = -1;
  ASSERT_TRUE(testing::Eventually(
      [&] {
        Beat(c, ProcessInfo::SERVER, 0);
        Beat(c, ProcessInfo::WORKER, 0, 9);
        live = c.CheckLiveness(absl::InfiniteFuture(), &silent_pid);
        return !live.ok();
      },
      30));
  EXPECT_TRUE(absl::IsUnavailable(live));
  EXPECT_EQ(silent_pid, 21) << "the silent process's pid, for the launcher to act on";
  EXPECT_NE(live.message().find("worker 1 (pid 21) sent no heartbeat"), std::string::npos)
      << live;
  EXPECT_NE(live.message().find("(last step 7)"), std::string::npos) << live;
  EXPECT_EQ(c.last_step(ProcessInfo::WORKER, 1), 7u);
}

// A host that goes away silences its server and worker at once, and the peers that lose them
// fall silent after: the one silent longest is named, on its host, whatever its role.
TEST(CoordinatorTest, NamesTheProcessSilentLongestOnItsHost) {
  Coordinator c(1, 2, absl::Milliseconds(200));
  c.SetHostNames({"algo-1"}, {"algo-1", "algo-2"});
  c.SetRunStart(1234.5);
  RegisterAll(c);
  EXPECT_EQ(c.WaitForPeers(absl::ZeroDuration())->run_start_unix(), 1234.5);
  Beat(c, ProcessInfo::WORKER, 1, 3);  // worker 1 (algo-2) goes quiet first
  absl::SleepFor(absl::Milliseconds(50));
  Beat(c, ProcessInfo::SERVER, 0);  // then the others, a little later
  Beat(c, ProcessInfo::WORKER, 0, 4);
  absl::Status live;
  ASSERT_TRUE(testing::Eventually(
      [&] {
        live = c.CheckLiveness(absl::InfiniteFuture());
        return !live.ok();
      },
      30));
  EXPECT_NE(live.message().find("worker 1 on algo-2 (pid 21) sent no heartbeat"),
            std::string::npos)
      << live;
  EXPECT_EQ(c.NameOf(ProcessInfo::SERVER, 0), "server 0 on algo-1");
  Coordinator unnamed(1, 1, absl::Seconds(1));
  EXPECT_EQ(unnamed.NameOf(ProcessInfo::WORKER, 0), "worker 0");
}

// Before the peer table is complete a registered process waits for the others and sends no
// heartbeat: that is not death. Its silence counts from the moment the table is complete.
TEST(CoordinatorTest, WaitingForThePeerTableIsNotSilence) {
  Coordinator c(1, 2, absl::Milliseconds(50));
  ASSERT_TRUE(c.Register(Process(ProcessInfo::SERVER, 0, 10)).ok());
  ASSERT_TRUE(c.Register(Process(ProcessInfo::WORKER, 0, 20)).ok());
  absl::SleepFor(absl::Milliseconds(120));  // past the timeout, while worker 1 still starts
  EXPECT_TRUE(c.CheckLiveness(absl::InfiniteFuture()).ok());
  ASSERT_TRUE(c.Register(Process(ProcessInfo::WORKER, 1, 21)).ok());
  EXPECT_TRUE(c.CheckLiveness(absl::InfiniteFuture()).ok()) << "the clock starts now";
  absl::SleepFor(absl::Milliseconds(120));
  absl::Status live = c.CheckLiveness(absl::InfiniteFuture());
  EXPECT_TRUE(absl::IsUnavailable(live)) << live;
  EXPECT_NE(live.message().find("server 0 (pid 10) sent no heartbeat"), std::string::npos) << live;
}

TEST(CoordinatorTest, AFinishedProcessMayFallSilent) {
  Coordinator c(0, 1, absl::Milliseconds(50));
  ASSERT_TRUE(c.Register(Process(ProcessInfo::WORKER, 0, 20)).ok());
  ASSERT_TRUE(c.Finish(Done(ProcessInfo::WORKER, 0)).ok());
  absl::SleepFor(absl::Milliseconds(120));  // past the timeout: finished processes are not dead
  EXPECT_TRUE(c.CheckLiveness(absl::InfiniteFuture()).ok());
  EXPECT_TRUE(c.AllFinished());
}

TEST(CoordinatorTest, ShutdownOnceEveryWorkerFinishedUnlessHeld) {
  Coordinator c(1, 2, absl::Seconds(60));
  RegisterAll(c);
  EXPECT_EQ(Beat(c, ProcessInfo::SERVER, 0).command, comm::Command::kContinue);
  ASSERT_TRUE(c.Finish(Done(ProcessInfo::WORKER, 0)).ok());
  EXPECT_EQ(Beat(c, ProcessInfo::SERVER, 0).command, comm::Command::kContinue);
  c.HoldShutdown(true);
  ASSERT_TRUE(c.Finish(Done(ProcessInfo::WORKER, 1)).ok());
  EXPECT_TRUE(c.AllWorkersFinished());
  EXPECT_FALSE(c.AllFinished());  // the server has not finished
  EXPECT_EQ(Beat(c, ProcessInfo::SERVER, 0).command, comm::Command::kContinue);
  c.HoldShutdown(false);
  EXPECT_EQ(Beat(c, ProcessInfo::SERVER, 0).command, comm::Command::kShutdown);
}

TEST(CoordinatorTest, ALostWorkerCountsAsFinishedAndIsListedToEveryone) {
  Coordinator c(1, 2, absl::Seconds(60));
  RegisterAll(c);
  c.MarkLost(1);
  EXPECT_EQ(c.lost_workers(), std::vector<uint32_t>{1});
  comm::HeartbeatAnswer answer = Beat(c, ProcessInfo::SERVER, 0);
  EXPECT_EQ(answer.lost_workers, std::vector<uint32_t>{1});
  EXPECT_EQ(answer.command, comm::Command::kContinue);  // worker 0 still trains
  ASSERT_TRUE(c.Finish(Done(ProcessInfo::WORKER, 0)).ok());
  EXPECT_EQ(Beat(c, ProcessInfo::SERVER, 0).command, comm::Command::kShutdown);
}

TEST(CoordinatorTest, AbortReachesEveryoneWithTheFirstReason) {
  Coordinator c(1, 2, absl::Seconds(60));
  RegisterAll(c);
  c.Abort("worker 1 died");
  c.Abort("a later reason");
  EXPECT_EQ(c.abort_reason(), "worker 1 died");
  for (uint32_t rank : {0u, 1u}) {
    comm::HeartbeatAnswer answer = Beat(c, ProcessInfo::WORKER, rank);
    EXPECT_EQ(answer.command, comm::Command::kAbort);
    EXPECT_EQ(answer.reason, "worker 1 died");
  }
}

TEST(CoordinatorTest, HandsOverRecordsOnceAndKeepsAFailureReport) {
  Coordinator c(0, 2, absl::Seconds(60));
  ASSERT_TRUE(c.Register(Process(ProcessInfo::WORKER, 0, 20)).ok());
  ASSERT_TRUE(c.Register(Process(ProcessInfo::WORKER, 1, 21)).ok());
  comm::HeartbeatData data;
  data.role = ProcessInfo::WORKER;
  data.rank = 1;
  data.steps.resize(2);
  data.steps[0].set_step(1);
  data.steps[1].set_step(2);
  data.evals.resize(1);
  c.Heartbeat(std::move(data));
  Coordinator::NewRecords records = c.TakeNewRecords();
  ASSERT_EQ(records.steps.size(), 2u);
  EXPECT_EQ(records.steps[1].first, 1u);
  EXPECT_EQ(records.steps[1].second.step(), 2u);
  EXPECT_EQ(records.evals.size(), 1u);
  EXPECT_TRUE(c.TakeNewRecords().steps.empty());
  ProcessSummary failed = Done(ProcessInfo::WORKER, 0);
  failed.set_error("stalled waiting for rank 1");
  failed.set_exit_code(75);
  ASSERT_TRUE(c.Finish(failed).ok());
  ASSERT_TRUE(c.failure_report(ProcessInfo::WORKER, 0).has_value());
  EXPECT_EQ(c.failure_report(ProcessInfo::WORKER, 0)->exit_code(), 75);
  EXPECT_FALSE(c.AllWorkersFinished());  // a failure is not a finish
}

}  // namespace
}  // namespace distsim::node
