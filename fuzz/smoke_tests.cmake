# The fuzz targets' smoke tests, added to the main build's ctest (tests/CMakeLists.txt includes
# this file) when this machine can build them: a clang++ that links -fsanitize=fuzzer. Otherwise
# none is added, and configuring says why.
#   fuzz_build             scripts/fuzz.sh --build-only: configures and builds the fuzz folder,
#                          <build>/fuzz, with clang (the fixture the others need; both cores)
#   fuzz_smoke_<name>      runs fuzz_<name> 5 s on its seeds (fuzz/corpus/fuzz_<name>/), in a
#                          fresh work corpus of its own; fails on any crash, leak, timeout or OOM
# One target per folder of fuzz/corpus/, as scripts/fuzz.sh counts them. Label: fuzz
# (ctest -LE fuzz leaves them out).
find_program(DISTSIM_FUZZ_CXX NAMES clang++)
if(NOT DISTSIM_FUZZ_CXX)
  message(STATUS "distsim: no clang++, so no fuzz smoke tests (Debian packages clang, libclang-rt-dev)")
  return()
endif()
if(NOT DEFINED DISTSIM_FUZZ_LINKS OR NOT DISTSIM_FUZZ_LINKS_CXX STREQUAL DISTSIM_FUZZ_CXX)
  set(probe ${CMAKE_CURRENT_BINARY_DIR}/fuzz-probe)
  file(WRITE ${probe}/probe.cc
       "extern \"C\" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }\n")
  execute_process(COMMAND ${DISTSIM_FUZZ_CXX} -fsanitize=fuzzer,address,undefined probe.cc -o probe
                  WORKING_DIRECTORY ${probe} RESULT_VARIABLE probe_result OUTPUT_QUIET ERROR_QUIET)
  if(probe_result EQUAL 0)
    set(DISTSIM_FUZZ_LINKS ON CACHE INTERNAL "clang++ links libFuzzer")
  else()
    set(DISTSIM_FUZZ_LINKS OFF CACHE INTERNAL "clang++ links libFuzzer")
  endif()
  set(DISTSIM_FUZZ_LINKS_CXX ${DISTSIM_FUZZ_CXX} CACHE INTERNAL "the clang++ probed")
endif()
if(NOT DISTSIM_FUZZ_LINKS)
  message(STATUS "distsim: ${DISTSIM_FUZZ_CXX} cannot link -fsanitize=fuzzer, so no fuzz smoke "
                 "tests (Debian package libclang-rt-dev)")
  return()
endif()

set(fuzz_build ${PROJECT_BINARY_DIR}/fuzz)
set(fuzz_script ${PROJECT_SOURCE_DIR}/scripts/fuzz.sh)
set(fuzz_env FUZZ_CXX=${DISTSIM_FUZZ_CXX})
if(CMAKE_CXX_COMPILER_LAUNCHER)  # e.g. ccache: the fuzz build uses it too
  list(APPEND fuzz_env "CMAKE_ARGS=-DCMAKE_CXX_COMPILER_LAUNCHER=${CMAKE_CXX_COMPILER_LAUNCHER}")
endif()
add_test(NAME fuzz_build
         COMMAND ${CMAKE_COMMAND} -E env ${fuzz_env} ${fuzz_script} --build-only
                 --build-dir ${fuzz_build})
set_tests_properties(fuzz_build PROPERTIES FIXTURES_SETUP fuzz PROCESSORS 2 TIMEOUT 900
                     SKIP_RETURN_CODE 77 LABELS fuzz)
file(GLOB corpora LIST_DIRECTORIES true CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/fuzz/corpus/fuzz_*)
foreach(corpus ${corpora})
  get_filename_component(target ${corpus} NAME)
  string(REGEX REPLACE "^fuzz_" "" short ${target})
  add_test(NAME fuzz_smoke_${short}
           COMMAND ${CMAKE_COMMAND} -E env ${fuzz_env} ${fuzz_script} --no-build --fresh
                   --seconds 5 --target ${target} --build-dir ${fuzz_build}
                   --work ${fuzz_build}/smoke-corpus --out ${fuzz_build}/smoke/${target})
  set_tests_properties(fuzz_smoke_${short} PROPERTIES FIXTURES_REQUIRED fuzz TIMEOUT 120
                       LABELS fuzz)
endforeach()
