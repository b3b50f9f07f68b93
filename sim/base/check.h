// Invariant checks: a broken invariant is a bug, so it aborts with file:line and the condition.
// For fallible input (files, configs, peers) return an absl::Status instead.
#ifndef DISTSIM_SIM_BASE_CHECK_H_
#define DISTSIM_SIM_BASE_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define DS_CHECK(cond)                                                                  \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);    \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)

#endif  // DISTSIM_SIM_BASE_CHECK_H_
