// One run per results folder: a second holder is refused naming the first's pid; the lock goes
// with its holder, and a stale lock file left by a dead run blocks nobody.
#include "sim/node/run_lock.h"

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "sim/base/status.h"

namespace distsim::node {
namespace {

namespace fs = std::filesystem;

class RunLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("distsim_lock_" + std::to_string(getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(RunLockTest, ASecondRunIsRefusedNamingTheFirstRunsPid) {
  absl::StatusOr<RunFolderLock> first = RunFolderLock::Acquire((dir_ / "run").string());
  ASSERT_TRUE(first.ok()) << first.status();
  // Another process (flock is per open file, so a second open in this process would also be
  // refused; a fork shows the real case).
  const pid_t child = fork();
  if (child == 0) {
    absl::StatusOr<RunFolderLock> second = RunFolderLock::Acquire((dir_ / "run").string());
    const bool names_pid =
        !second.ok() && std::string(second.status().message())
                                .find("(pid " + std::to_string(getppid()) + ")") !=
                            std::string::npos;
    _exit(second.ok() ? 1 : names_pid ? ExitCodeFor(second.status()) : 2);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 73);
}

TEST_F(RunLockTest, TheLockGoesWithItsHolder) {
  { ASSERT_TRUE(RunFolderLock::Acquire((dir_ / "run").string()).ok()); }
  absl::StatusOr<RunFolderLock> again = RunFolderLock::Acquire((dir_ / "run").string());
  EXPECT_TRUE(again.ok()) << again.status();
}

TEST_F(RunLockTest, AStaleLockFileOfADeadRunBlocksNobody) {
  fs::create_directories(dir_ / "run");
  std::ofstream(dir_ / "run" / ".lock") << "999999\n";  // written by a run that is gone
  absl::StatusOr<RunFolderLock> lock = RunFolderLock::Acquire((dir_ / "run").string());
  ASSERT_TRUE(lock.ok()) << lock.status();
  std::ifstream in(dir_ / "run" / ".lock");
  std::string pid;
  in >> pid;
  EXPECT_EQ(pid, std::to_string(getpid()));
}

}  // namespace
}  // namespace distsim::node
