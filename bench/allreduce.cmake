# Ring allreduce benchmark (bench/allreduce_bench.cc): gRPC across processes, the plain-TCP
# two-way ceiling (Boost.Asio, header-only) and the in-process link.
find_package(Boost REQUIRED)
add_executable(allreduce_bench ${CMAKE_CURRENT_LIST_DIR}/allreduce_bench.cc)
target_link_libraries(allreduce_bench PRIVATE distsim_strategy distsim_comm benchmark::benchmark
                      Boost::boost Threads::Threads gRPC::grpc++)
