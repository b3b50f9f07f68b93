// Test tool: writes the separable CSV pair of sim/data/synthetic_csv.h (train.csv, test.csv) into
// a folder; it made configs/data/. Usage: write_synthetic_csv DIR [TRAIN [TEST [SEED]]]
#include <cstdio>
#include <cstdlib>
#include <string>

#include "sim/data/synthetic_csv.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR [TRAIN [TEST [SEED]]]\n", argv[0]);
    return 64;
  }
  const long long train = argc > 2 ? std::atoll(argv[2]) : 400;
  const long long test = argc > 3 ? std::atoll(argv[3]) : 200;
  const unsigned long long seed = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 1;
  absl::Status status = distsim::data::WriteSeparableCsv(argv[1], train, test, seed);
  if (!status.ok()) {
    std::fprintf(stderr, "%s\n", std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}
