// Invariant checks for kernels/: a broken invariant (a shape, an index, a size) is a bug, so it
// aborts with file:line and the condition. kernels/ depends on Eigen and the standard library only,
// so it carries its own macro instead of sim/base/check.h.
#ifndef DISTSIM_KERNELS_CHECK_H_
#define DISTSIM_KERNELS_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define DSK_CHECK(cond)                                                             \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)

#endif  // DISTSIM_KERNELS_CHECK_H_
