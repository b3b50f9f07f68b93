// A GoogleTest fixture for tests that need data: each test gets its own temporary folder, dir_,
// named after the suite, the process and the test, holding a small learnable synthetic IDX data
// set in dir_/data (the four MNIST file names). The folder is removed after the test.
#ifndef DISTSIM_TESTS_TESTING_SYNTHETIC_DATA_TEST_H_
#define DISTSIM_TESTS_TESTING_SYNTHETIC_DATA_TEST_H_

#include <unistd.h>

#include <filesystem>
#include <string>

#include "gtest/gtest.h"
#include "sim/data/synthetic.h"

namespace distsim::testing {

class SyntheticDataTest : public ::testing::Test {
 protected:
  // 1200 training and 300 test examples, seed 4. A suite whose expectations were tuned on other
  // data overrides this.
  virtual data::SyntheticSpec Spec() const {
    data::SyntheticSpec spec;
    spec.train_size = 1200;
    spec.test_size = 300;
    spec.seed = 4;
    return spec;
  }

  void SetUp() override {
    const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string("distsim_") + test->test_suite_name() + "_" +
                       std::to_string(getpid()) + "_" + test->name();
    for (char& c : name) {
      if (c == '/') c = '_';  // parameterized suites and tests
    }
    dir_ = std::filesystem::temp_directory_path() / name;
    std::filesystem::create_directories(dir_);
    ASSERT_TRUE(data::WriteSyntheticIdx(data_dir(), Spec()).ok());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string data_dir() const { return (dir_ / "data").string(); }

  std::filesystem::path dir_;
};

}  // namespace distsim::testing

#endif  // DISTSIM_TESTS_TESTING_SYNTHETIC_DATA_TEST_H_
