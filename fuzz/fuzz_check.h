// FUZZ_CHECK: a contract of the code under test that a fuzz target checks on every input. A
// broken one prints the condition with file:line and aborts, which libFuzzer reports as a crash
// and keeps the input of. The code under test itself never aborts on bad input: it returns a
// Status, and the targets check which one.
#ifndef DISTSIM_FUZZ_FUZZ_CHECK_H_
#define DISTSIM_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition)                                                                    \
  do {                                                                                           \
    if (!(condition)) {                                                                          \
      std::fprintf(stderr, "%s:%d: fuzz contract broken: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                              \
    }                                                                                            \
  } while (false)

#endif  // DISTSIM_FUZZ_FUZZ_CHECK_H_
