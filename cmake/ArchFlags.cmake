# distsim_arch_flags(OUT): the code-generation flags for this machine, measured rather than
# assumed (bench/kernels_bench, BM_TrainStep and BM_Gemm_Forward, same run):
#  - Zen 5 (AMD family 0x1A, full-width AVX-512): -march=native ran the CNN training step 1.3x
#    faster than "-mavx2 -mfma" (37 vs 49 ms at batch 64) and square GEMM at 190 vs 133 GFLOP/s.
#  - Zen 4 (AMD family 0x19), whose AVX-512 runs as two 256-bit halves: "-mavx2 -mfma" made
#    Eigen's GEMM 15-20% faster than -march=native.
# So with DISTSIM_NATIVE on: x86-64 CPUs with AVX-512F other than AMD family 0x19 get
# -march=native; other x86-64 CPUs with AVX2 and FMA get "-mavx2 -mfma"; anything else gets
# -march=native. With DISTSIM_NATIVE off: the compiler's default target (portable binaries).
# The same flags go to every target (add_compile_options at the top level).
include(CheckCXXSourceRuns)
function(distsim_arch_flags out)
  if(NOT DISTSIM_NATIVE)
    set(${out} "" PARENT_SCOPE)
    return()
  endif()
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
    check_cxx_source_runs([=[
      #include <cpuid.h>
      // Exit 0: prefer -march=native (full-width AVX-512); 1: prefer -mavx2 -mfma; 2: neither.
      int main() {
        __builtin_cpu_init();
        bool avx2_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        if (!avx2_fma) return 2;
        if (!__builtin_cpu_supports("avx512f")) return 1;
        unsigned a, b, c, d;
        __get_cpuid(0, &a, &b, &c, &d);
        bool amd = b == 0x68747541;  // "Auth"enticAMD
        __get_cpuid(1, &a, &b, &c, &d);
        unsigned family = ((a >> 8) & 0xf) + ((a >> 20) & 0xff);
        return (amd && family == 0x19) ? 1 : 0;
      }]=] DISTSIM_CPU_WIDE_AVX512)
    if(DISTSIM_CPU_WIDE_AVX512)
      set(${out} -march=native PARENT_SCOPE)
      return()
    endif()
    check_cxx_source_runs([=[
      int main() {
        __builtin_cpu_init();
        return (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) ? 0 : 1;
      }]=] DISTSIM_CPU_HAS_AVX2_FMA)
    if(DISTSIM_CPU_HAS_AVX2_FMA)
      set(${out} -mavx2 -mfma PARENT_SCOPE)
      return()
    endif()
  endif()
  set(${out} -march=native PARENT_SCOPE)
endfunction()
