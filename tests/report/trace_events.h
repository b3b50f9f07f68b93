// Test helpers: a Chrome trace (trace.json) parsed back into its events with protobuf's JSON
// parser (an implementation independent of sim/report's writer), and the checks every trace must
// pass whatever it draws.
#ifndef DISTSIM_TESTS_REPORT_TRACE_EVENTS_H_
#define DISTSIM_TESTS_REPORT_TRACE_EVENTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "google/protobuf/struct.pb.h"

namespace distsim::testing {

struct TraceEvent {
  std::string ph;
  std::string name;
  std::string cat;
  double ts = 0;
  double dur = 0;
  int64_t pid = 0;
  int64_t tid = 0;
  std::string id;  // flows: the id as written (a number)
  std::string bp;  // flows: the binding point
  google::protobuf::Struct args;
};

// Parses `json`; adds a test failure if it is not a JSON object with a traceEvents array and
// displayTimeUnit "ms".
std::vector<TraceEvent> ParseTrace(const std::string& json);

// The events whose ph is `ph` and whose name or cat is `name_or_cat`.
std::vector<TraceEvent> SelectEvents(const std::vector<TraceEvent>& events, const std::string& ph,
                                     const std::string& name_or_cat);

// A numeric arg (adds a failure and returns 0 when absent).
double EventArg(const TraceEvent& e, const std::string& key);

// The name a process_name metadata event gives `pid` ("" if none).
std::string ProcessNameOf(const std::vector<TraceEvent>& events, int64_t pid);

// Every pair of "X" slices on one (pid, tid) that overlap without one holding the other: sorted
// by start (longer first on ties), each slice must end by the end of the slice enclosing it or
// start at or after that one's end. Returns one line per offence (empty: none).
std::vector<std::string> SiblingOverlaps(const std::vector<TraceEvent>& events);

// Flow problems: an "s" without exactly one "f" of the same id (or the reverse), an end whose
// ts lies outside every "X" slice of its thread. Returns one line per problem (empty: none).
std::vector<std::string> FlowProblems(const std::vector<TraceEvent>& events);

}  // namespace distsim::testing

#endif  // DISTSIM_TESTS_REPORT_TRACE_EVENTS_H_
