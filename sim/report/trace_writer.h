// TraceWriter: the Chrome trace event format's events, written one after another into one JSON
// array (trace.cc decides what to draw). Internal to sim/report.
//
// Times are whole microseconds. A track's slices are laid out with LayOutSiblings before they are
// written, so that two slices on one thread either nest or follow each other, never overlap.
#ifndef DISTSIM_SIM_REPORT_TRACE_WRITER_H_
#define DISTSIM_SIM_REPORT_TRACE_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/report/json_out.h"

namespace distsim::report {

// Seconds to whole microseconds, rounded to nearest; non-finite counts as zero, and the range is
// bounded (about +-31 years) so that sums of them cannot overflow.
int64_t Micros(double seconds);

// One slice of a thread, [start, end) in microseconds; `index` names what it draws.
struct Slice {
  int64_t start = 0;
  int64_t end = 0;
  size_t index = 0;
};

// Sorts `slices` by start (ties: by index) and cuts each end at the next slice's start (and never
// before its own start), so that siblings never overlap, whatever rounding or a record said.
void LayOutSiblings(std::vector<Slice>* slices);

class TraceWriter {
 public:
  explicit TraceWriter(std::string* out) : json_(out) {}

  JsonOut& json() { return json_; }

  // Metadata: "process_name", "thread_name" (args.name) and "process_sort_index".
  void ProcessName(int64_t pid, std::string_view name, int64_t sort_index);
  void ThreadName(int64_t pid, int64_t tid, std::string_view name);

  // Opens a complete ("X") event with its name; the caller may add ,"args":{...} and must close
  // it with '}'.
  void OpenSpan(int64_t pid, int64_t tid, std::string_view category, std::string_view name,
                int64_t start_us, int64_t end_us);

  // A counter ("C") sample of the process's counter track `name`: args {key: value}, and a
  // second series when `key2` is not empty. Non-finite values are not written.
  void Counter(int64_t pid, std::string_view name, int64_t ts_us, std::string_view key,
               double value, std::string_view key2 = "", double value2 = 0);

  // A flow event ("s" start or "f" finish) with id `id`, bound to the slice enclosing ts on
  // (pid, tid) ("bp":"e").
  void Flow(std::string_view ph, uint64_t id, int64_t pid, int64_t tid, int64_t ts_us);

 private:
  // Opens an event object with its common fields.
  void Begin(std::string_view ph, int64_t pid, int64_t tid);

  JsonOut json_;
  bool first_ = true;
};

}  // namespace distsim::report

#endif  // DISTSIM_SIM_REPORT_TRACE_WRITER_H_
