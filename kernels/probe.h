// How fast this machine multiplies matrices, one thread: the reference the modelled clock scales
// measured CPU time by (modelled compute = CPU seconds x this speed / the instance's speed).
#ifndef DISTSIM_KERNELS_PROBE_H_
#define DISTSIM_KERNELS_PROBE_H_

namespace distsim::kernels {

// fp32 GEMM speed in GFLOP/s at 256 x 256 x 256 (a shape between the models' dense and conv
// products), the best of repeated timings over about `seconds` of this thread's CPU time (the
// best, because interference from other processes only ever slows a repetition down).
double MeasureGemmGflops(double seconds = 0.15);

}  // namespace distsim::kernels

#endif  // DISTSIM_KERNELS_PROBE_H_
