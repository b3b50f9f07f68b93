// Test tool: writes a small learnable synthetic IDX data set (the four standard MNIST file names)
// into a folder. Usage: write_synthetic_idx DIR [TRAIN_COUNT [TEST_COUNT [SEED]]]
#include <cstdio>
#include <cstdlib>
#include <string>

#include "sim/data/synthetic.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR [TRAIN_COUNT [TEST_COUNT [SEED]]]\n", argv[0]);
    return 64;
  }
  distsim::data::SyntheticSpec spec;
  if (argc > 2) spec.train_size = std::atoi(argv[2]);
  if (argc > 3) spec.test_size = std::atoi(argv[3]);
  if (argc > 4) spec.seed = std::strtoull(argv[4], nullptr, 10);
  absl::Status status = distsim::data::WriteSyntheticIdx(argv[1], spec);
  if (!status.ok()) {
    std::fprintf(stderr, "%s\n", std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}
