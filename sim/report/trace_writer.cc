#include "sim/report/trace_writer.h"

#include <algorithm>
#include <cmath>

namespace distsim::report {

int64_t Micros(double seconds) {
  if (!std::isfinite(seconds)) return 0;
  constexpr double kLimit = 1e9;
  return std::llround(std::clamp(seconds, -kLimit, kLimit) * 1e6);
}

void LayOutSiblings(std::vector<Slice>* slices) {
  std::sort(slices->begin(), slices->end(), [](const Slice& a, const Slice& b) {
    return a.start != b.start ? a.start < b.start : a.index < b.index;
  });
  for (size_t i = 0; i < slices->size(); ++i) {
    Slice& s = (*slices)[i];
    if (i + 1 < slices->size()) s.end = std::min(s.end, (*slices)[i + 1].start);
    s.end = std::max(s.end, s.start);
  }
}

void TraceWriter::Begin(std::string_view ph, int64_t pid, int64_t tid) {
  if (!first_) json_.Char(',');
  first_ = false;
  json_.Raw("{\"ph\":\"");
  json_.Raw(ph);
  json_.Raw("\",\"pid\":");
  json_.Int(pid);
  json_.Raw(",\"tid\":");
  json_.Int(tid);
}

void TraceWriter::ProcessName(int64_t pid, std::string_view name, int64_t sort_index) {
  Begin("M", pid, 0);
  json_.Raw(",\"name\":\"process_name\",\"args\":{\"name\":");
  json_.String(name);
  json_.Raw("}}");
  Begin("M", pid, 0);
  json_.Raw(",\"name\":\"process_sort_index\",\"args\":{\"sort_index\":");
  json_.Int(sort_index);
  json_.Raw("}}");
}

void TraceWriter::ThreadName(int64_t pid, int64_t tid, std::string_view name) {
  Begin("M", pid, tid);
  json_.Raw(",\"name\":\"thread_name\",\"args\":{\"name\":");
  json_.String(name);
  json_.Raw("}}");
}

void TraceWriter::OpenSpan(int64_t pid, int64_t tid, std::string_view category,
                           std::string_view name, int64_t start_us, int64_t end_us) {
  Begin("X", pid, tid);
  json_.Raw(",\"cat\":\"");
  json_.Raw(category);
  json_.Raw("\",\"name\":");
  json_.String(name);
  json_.Raw(",\"ts\":");
  json_.Int(start_us);
  json_.Raw(",\"dur\":");
  json_.Int(end_us - start_us);
}

void TraceWriter::Counter(int64_t pid, std::string_view name, int64_t ts_us,
                          std::string_view key, double value, std::string_view key2,
                          double value2) {
  if (!std::isfinite(value) || (!key2.empty() && !std::isfinite(value2))) return;
  Begin("C", pid, 0);
  json_.Raw(",\"name\":");
  json_.String(name);
  json_.Raw(",\"ts\":");
  json_.Int(ts_us);
  json_.Raw(",\"args\":{");
  json_.String(key);
  json_.Char(':');
  json_.Number(value);
  if (!key2.empty()) {
    json_.Char(',');
    json_.String(key2);
    json_.Char(':');
    json_.Number(value2);
  }
  json_.Raw("}}");
}

void TraceWriter::Flow(std::string_view ph, uint64_t id, int64_t pid, int64_t tid,
                       int64_t ts_us) {
  Begin(ph, pid, tid);
  json_.Raw(",\"cat\":\"flow\",\"name\":\"push to apply\",\"id\":");
  json_.Uint(id);
  json_.Raw(",\"ts\":");
  json_.Int(ts_us);
  json_.Raw(",\"bp\":\"e\"}");
}

}  // namespace distsim::report
