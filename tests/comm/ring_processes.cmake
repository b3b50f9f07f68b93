# The ring allreduce across real processes over gRPC and over plain TCP, n = 2..4 (one at a time:
# two cores).
add_executable(ring_processes_main ${CMAKE_CURRENT_SOURCE_DIR}/ring_processes_main.cc)
target_link_libraries(ring_processes_main PRIVATE distsim_strategy distsim_comm)
target_include_directories(ring_processes_main PRIVATE ${PROJECT_SOURCE_DIR})
foreach(n 2 3 4)
  add_test(NAME ring_allreduce_${n}_processes COMMAND ring_processes_main ${n})
  set_tests_properties(ring_allreduce_${n}_processes PROPERTIES TIMEOUT 150
                       RESOURCE_LOCK processes)
  add_test(NAME ring_allreduce_${n}_processes_tcp COMMAND ring_processes_main ${n} tcp)
  set_tests_properties(ring_allreduce_${n}_processes_tcp PROPERTIES TIMEOUT 150
                       RESOURCE_LOCK processes)
endforeach()
