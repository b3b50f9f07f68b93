// Clocks: wall time since a start point, and this thread's CPU time.
#ifndef DISTSIM_SIM_BASE_CLOCK_H_
#define DISTSIM_SIM_BASE_CLOCK_H_

#include <chrono>

namespace distsim {

// Monotonic wall clock started at construction.
class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  void Restart() { start_ = std::chrono::steady_clock::now(); }
  double Seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

// CPU time consumed by the calling thread, in seconds.
double ThreadCpuSeconds();

}  // namespace distsim

#endif  // DISTSIM_SIM_BASE_CLOCK_H_
