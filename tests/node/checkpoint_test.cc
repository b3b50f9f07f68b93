// Checkpoint files and sets (sim/node/checkpoint.h): what is written reads back, and every way a
// file goes bad (truncated, a flipped bit, another config's, missing) is named and refused; the
// newest complete set wins and older ones are passed over only when the newer are bad.
#include "sim/node/checkpoint.h"

#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "kernels/optimizer.h"
#include "sim/node/role_checkpoint.h"

namespace distsim::node {
namespace {

namespace fs = std::filesystem;

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (fs::temp_directory_path() /
            ("distsim_checkpoint_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  CheckpointState State(ProcessInfo::Role role, uint32_t rank, uint64_t step) const {
    CheckpointState s;
    s.set_role(role);
    s.set_rank(rank);
    s.set_step(step);
    s.set_fingerprint(kPrint);
    for (int i = 0; i < 1000; ++i) s.add_params(0.25f * static_cast<float>(i) + rank);
    s.set_examples_consumed(16 * step);
    return s;
  }
  // A whole set of one server and two workers at `step`.
  void WriteSet(uint64_t step) {
    ASSERT_TRUE(WriteCheckpoint(dir_, State(ProcessInfo::SERVER, 0, step)).ok());
    for (uint32_t w = 0; w < 2; ++w) {
      ASSERT_TRUE(WriteCheckpoint(dir_, State(ProcessInfo::WORKER, w, step)).ok());
    }
  }
  std::string File(uint64_t step, const std::string& name) const {
    return (fs::path(CheckpointSetDir(dir_, step)) / name).string();
  }

  static constexpr uint64_t kPrint = 0x1234;
  std::string dir_;
};

TEST_F(CheckpointTest, WhatIsWrittenReadsBackAndLeavesNoTemporaryFile) {
  const CheckpointState state = State(ProcessInfo::WORKER, 1, 20);
  ASSERT_TRUE(WriteCheckpoint(dir_, state).ok());
  absl::StatusOr<CheckpointState> read = ReadCheckpoint(dir_, 20, ProcessInfo::WORKER, 1, kPrint);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->SerializeAsString(), state.SerializeAsString());
  int files = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir_)) files += e.is_regular_file();
  EXPECT_EQ(files, 1);
}

TEST_F(CheckpointTest, TruncatedCorruptForeignAndMissingFilesAreNamedAndRefused) {
  WriteSet(10);
  const std::string path = File(10, "worker-1.ckpt");
  fs::resize_file(path, fs::file_size(path) - 3);
  absl::StatusOr<CheckpointState> read = ReadCheckpoint(dir_, 10, ProcessInfo::WORKER, 1, kPrint);
  EXPECT_TRUE(absl::IsDataLoss(read.status())) << read.status();
  EXPECT_NE(read.status().message().find(path), std::string::npos);
  EXPECT_NE(read.status().message().find("truncated"), std::string::npos);

  const std::string server = File(10, "server-0.ckpt");
  {
    std::fstream f(server, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put('\x7f');
  }
  read = ReadCheckpoint(dir_, 10, ProcessInfo::SERVER, 0, kPrint);
  EXPECT_TRUE(absl::IsDataLoss(read.status())) << read.status();
  EXPECT_NE(read.status().message().find("checksum mismatch"), std::string::npos);

  read = ReadCheckpoint(dir_, 10, ProcessInfo::WORKER, 0, kPrint + 1);
  EXPECT_TRUE(absl::IsInvalidArgument(read.status())) << read.status();
  EXPECT_NE(read.status().message().find("another config"), std::string::npos);

  read = ReadCheckpoint(dir_, 10, ProcessInfo::WORKER, 2, kPrint);
  EXPECT_TRUE(absl::IsNotFound(read.status())) << read.status();
}

TEST_F(CheckpointTest, ResumeTakesTheNewestCompleteSetAndNamesWhatItPassedOver) {
  WriteSet(10);
  WriteSet(20);
  ASSERT_TRUE(WriteCheckpoint(dir_, State(ProcessInfo::SERVER, 0, 30)).ok());  // incomplete
  absl::StatusOr<ResumePoint> point = FindResumePoint(dir_, 1, 2, kPrint);
  ASSERT_TRUE(point.ok()) << point.status();
  EXPECT_EQ(point->step, 20u);
  ASSERT_EQ(point->skipped.size(), 1u);
  EXPECT_NE(point->skipped[0].find("worker-0.ckpt: missing"), std::string::npos)
      << point->skipped[0];

  fs::resize_file(File(20, "server-0.ckpt"), 10);
  point = FindResumePoint(dir_, 1, 2, kPrint);
  ASSERT_TRUE(point.ok());
  EXPECT_EQ(point->step, 10u);
  EXPECT_EQ(point->skipped.size(), 2u);

  fs::resize_file(File(10, "worker-0.ckpt"), 10);
  point = FindResumePoint(dir_, 1, 2, kPrint);
  EXPECT_TRUE(absl::IsDataLoss(point.status())) << point.status();
  EXPECT_TRUE(absl::IsNotFound(FindResumePoint(dir_ + "/none", 1, 2, kPrint).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(FindResumePoint(dir_, 1, 2, kPrint + 1).status()));
}

// A crash between the write and the rename leaves a temporary file and no checkpoint file: the
// set is incomplete, the one before is taken, and RemoveTempFiles clears the leftover.
TEST_F(CheckpointTest, ACrashBeforeTheRenameLeavesTheSetBeforeToResumeFrom) {
  WriteSet(10);
  ASSERT_TRUE(WriteCheckpoint(dir_, State(ProcessInfo::SERVER, 0, 20)).ok());
  ASSERT_TRUE(WriteCheckpoint(dir_, State(ProcessInfo::WORKER, 0, 20)).ok());
  const std::string temp = File(20, "worker-1.ckpt.tmp.4242");
  std::ofstream(temp) << "half a checkpoint";
  absl::StatusOr<ResumePoint> point = FindResumePoint(dir_, 1, 2, kPrint);
  ASSERT_TRUE(point.ok()) << point.status();
  EXPECT_EQ(point->step, 10u);
  RemoveTempFiles(dir_);
  EXPECT_FALSE(fs::exists(temp));
  EXPECT_TRUE(fs::exists(File(20, "worker-0.ckpt")));
}

TEST_F(CheckpointTest, EachProcessKeepsItsLastKSets) {
  CheckpointPolicy policy;
  policy.dir = dir_;
  policy.every = 5;
  policy.kept = 2;
  policy.fingerprint = kPrint;
  for (uint64_t step = 5; step <= 25; step += 5) {
    ASSERT_TRUE(SaveCheckpoint(policy, State(ProcessInfo::WORKER, 0, step)).ok());
  }
  EXPECT_EQ(CheckpointSteps(dir_), (std::vector<uint64_t>{25, 20}));
}

// Two configs that train the same parameters share a fingerprint; one that trains others does not.
TEST(ConfigFingerprintTest, NamesRunLengthAndFaultsDoNotCountTheMathsDoes) {
  RunConfig a;
  a.set_name("a");
  a.set_seed(3);
  a.mutable_train()->set_batch_size(16);
  a.mutable_train()->set_steps(40);
  RunConfig b = a;
  b.set_name("b");
  b.mutable_train()->set_steps(80);
  b.mutable_cluster()->add_faults()->set_kill_at_step(5);
  b.mutable_supervision()->set_checkpoint_every_steps(10);
  EXPECT_EQ(ConfigFingerprint(a), ConfigFingerprint(b));
  b.set_seed(4);
  EXPECT_NE(ConfigFingerprint(a), ConfigFingerprint(b));
  b = a;
  b.mutable_train()->set_batch_size(32);
  EXPECT_NE(ConfigFingerprint(a), ConfigFingerprint(b));
}

// An Adam replica restored from its checkpoint steps on to the bits of the one never stopped.
TEST(RestoreReplicaTest, AdamContinuesOnTheSameBits) {
  const int n = 64;
  auto straight = kernels::MakeAdam<float>(n, 1e-2f, 0.9f, 0.999f, 1e-8f);
  std::vector<float> params(n, 1.0f), grads(n);
  for (int i = 0; i < n; ++i) grads[i] = 0.01f * static_cast<float>(i - 30);
  for (int s = 0; s < 3; ++s) straight->Step(params, grads);
  CheckpointPolicy policy;
  const CheckpointState saved = WorkerCheckpoint(policy, 0, 3, 48, params, straight.get());
  for (int s = 0; s < 3; ++s) straight->Step(params, grads);

  auto resumed = kernels::MakeAdam<float>(n, 1e-2f, 0.9f, 0.999f, 1e-8f);
  std::vector<float> again(n, 0.0f);
  ASSERT_TRUE(RestoreReplica(saved, again, resumed.get()).ok());
  EXPECT_EQ(resumed->steps(), 3);
  for (int s = 0; s < 3; ++s) resumed->Step(again, grads);
  EXPECT_EQ(again, params);
  std::vector<float> small(n - 1);
  EXPECT_TRUE(absl::IsInvalidArgument(RestoreReplica(saved, small, resumed.get())));
}

}  // namespace
}  // namespace distsim::node
