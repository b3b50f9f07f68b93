// The whole of a file as a string (empty when it cannot be read), for tests that check what a
// command wrote.
#ifndef DISTSIM_TESTS_TESTING_READ_ALL_H_
#define DISTSIM_TESTS_TESTING_READ_ALL_H_

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace distsim::testing {

inline std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace distsim::testing

#endif  // DISTSIM_TESTS_TESTING_READ_ALL_H_
