# Parameter-server push+pull against size, over gRPC (server in a child process) and in-process,
# with the plain gRPC stream ceiling measured in the same run.
add_executable(ps_bench ${CMAKE_CURRENT_LIST_DIR}/ps_bench.cc)
target_link_libraries(ps_bench PRIVATE distsim_strategy distsim_comm benchmark::benchmark gRPC::grpc++)
