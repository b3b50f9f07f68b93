#include "sim/report/trace.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <set>
#include <string_view>

#include "sim/report/result_io.h"

namespace distsim::report {
namespace {

constexpr int64_t kMainTid = 1;
constexpr int64_t kEvalTid = 2;

// Seconds to whole nanoseconds; non-finite counts as zero, and the range is bounded (about
// +-31 years) so that the sums below cannot overflow.
int64_t ToNanos(double seconds) {
  if (!std::isfinite(seconds)) return 0;
  constexpr double kLimit = 1e9;
  seconds = std::clamp(seconds, -kLimit, kLimit);
  return std::llround(seconds * 1e9);
}

int64_t DurationNanos(double seconds) { return std::max<int64_t>(0, ToNanos(seconds)); }

// Appends JSON text to one growing string; fast enough for a million events.
class JsonOut {
 public:
  explicit JsonOut(std::string* out) : out_(out) {}

  void Raw(std::string_view text) { out_->append(text); }
  void Char(char c) { out_->push_back(c); }

  void Int(int64_t value) { ToChars(value); }
  void Uint(uint64_t value) { ToChars(value); }

  // Shortest text that reads back as the same value; null if not finite.
  template <typename Float>
  void Number(Float value) {
    if (!std::isfinite(value)) {
      Raw("null");
      return;
    }
    ToChars(value);
  }

  // Nanoseconds as microseconds, with up to three decimals and no trailing zeros.
  void Micros(int64_t nanos) {
    if (nanos < 0) {
      Char('-');
      nanos = -nanos;  // bounded by ToNanos, never the minimum int64
    }
    Int(nanos / 1000);
    int64_t frac = nanos % 1000;
    if (frac == 0) return;
    char digits[4] = {'.', static_cast<char>('0' + frac / 100),
                      static_cast<char>('0' + frac / 10 % 10), static_cast<char>('0' + frac % 10)};
    size_t length = 4;
    while (digits[length - 1] == '0') --length;
    out_->append(digits, length);
  }

  // A JSON string literal: quotes, backslashes and control characters escaped, invalid UTF-8
  // replaced by U+FFFD.
  void String(std::string_view text) {
    Char('"');
    size_t i = 0;
    while (i < text.size()) {
      const unsigned char c = static_cast<unsigned char>(text[i]);
      if (c < 0x80) {
        AsciiChar(c);
        ++i;
        continue;
      }
      const size_t length = Utf8SequenceLength(text, i);
      if (length == 0) {
        Raw("\\ufffd");
        ++i;
      } else {
        out_->append(text.substr(i, length));
        i += length;
      }
    }
    Char('"');
  }

 private:
  template <typename T>
  void ToChars(T value) {
    char buffer[64];
    const std::to_chars_result result = std::to_chars(buffer, buffer + sizeof(buffer), value);
    out_->append(buffer, static_cast<size_t>(result.ptr - buffer));
  }

  void AsciiChar(unsigned char c) {
    switch (c) {
      case '"':
        Raw("\\\"");
        return;
      case '\\':
        Raw("\\\\");
        return;
      case '\n':
        Raw("\\n");
        return;
      case '\r':
        Raw("\\r");
        return;
      case '\t':
        Raw("\\t");
        return;
      case '\b':
        Raw("\\b");
        return;
      case '\f':
        Raw("\\f");
        return;
      default:
        break;
    }
    if (c < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      const char escaped[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
      out_->append(escaped, sizeof(escaped));
      return;
    }
    Char(static_cast<char>(c));
  }

  // The length of the well-formed UTF-8 sequence (RFC 3629: no overlong forms, no surrogates,
  // nothing above U+10FFFF) starting at text[i] (not ASCII), or 0 if there is none.
  static size_t Utf8SequenceLength(std::string_view text, size_t i) {
    const unsigned char lead = static_cast<unsigned char>(text[i]);
    size_t length = 0;
    unsigned char low = 0x80;  // allowed range of the second byte
    unsigned char high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) {
      length = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      if (lead == 0xe0) low = 0xa0;
      if (lead == 0xed) high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      if (lead == 0xf0) low = 0x90;
      if (lead == 0xf4) high = 0x8f;
    } else {
      return 0;
    }
    if (i + length > text.size()) return 0;
    for (size_t k = 1; k < length; ++k) {
      const unsigned char c = static_cast<unsigned char>(text[i + k]);
      const unsigned char lo = k == 1 ? low : 0x80;
      const unsigned char hi = k == 1 ? high : 0xbf;
      if (c < lo || c > hi) return 0;
    }
    return length;
  }

  std::string* out_;
};

// Opens an event object with its common fields; the caller adds the rest and the closing brace.
void BeginEvent(JsonOut& json, bool* first, std::string_view ph, int64_t pid, int64_t tid) {
  if (!*first) json.Char(',');
  *first = false;
  json.Raw("{\"ph\":\"");
  json.Raw(ph);
  json.Raw("\",\"pid\":");
  json.Int(pid);
  json.Raw(",\"tid\":");
  json.Int(tid);
}

void Metadata(JsonOut& json, bool* first, int64_t pid, int64_t tid, std::string_view name,
              std::string_view arg_key, std::string_view text, int64_t number) {
  BeginEvent(json, first, "M", pid, tid);
  json.Raw(",\"name\":\"");
  json.Raw(name);
  json.Raw("\",\"args\":{\"");
  json.Raw(arg_key);
  json.Raw("\":");
  if (arg_key == "name") {
    json.String(text);
  } else {
    json.Int(number);
  }
  json.Raw("}}");
}

// Opens a complete ("X") event; the caller closes it (after optional args) with '}'.
void Span(JsonOut& json, bool* first, int64_t pid, int64_t tid, std::string_view category,
          int64_t start_ns, int64_t duration_ns) {
  BeginEvent(json, first, "X", pid, tid);
  json.Raw(",\"cat\":\"");
  json.Raw(category);
  json.Raw("\",\"ts\":");
  json.Micros(start_ns);
  json.Raw(",\"dur\":");
  json.Micros(duration_ns);
}

void AppendStep(JsonOut& json, bool* first, int64_t pid, const StepRecord& step) {
  if (!std::isfinite(step.end_s())) return;
  const int64_t end_ns = ToNanos(step.end_s());
  const int64_t start_ns = end_ns - DurationNanos(step.step_s());

  Span(json, first, pid, kMainTid, "step", start_ns, end_ns - start_ns);
  json.Raw(",\"name\":\"step ");
  json.Uint(step.step());
  json.Raw("\",\"args\":{\"loss\":");
  json.Number(step.loss());
  json.Raw(",\"batch_accuracy\":");
  json.Number(step.batch_accuracy());
  json.Raw(",\"bytes_sent\":");
  json.Uint(step.bytes_sent());
  json.Raw(",\"bytes_received\":");
  json.Uint(step.bytes_received());
  json.Raw(",\"staleness\":");
  json.Uint(step.staleness());
  json.Raw("}}");

  struct Part {
    std::string_view name;
    double seconds;
  };
  const Part parts[] = {
      {"data", step.data_s()},       {"wait", step.wait_s()}, {"pull", step.pull_s()},
      {"compute", step.compute_s()}, {"push", step.push_s()}, {"allreduce", step.reduce_s()},
      {"update", step.update_s()},
  };
  int64_t cursor = start_ns;
  for (const Part& part : parts) {
    const int64_t duration = std::min(DurationNanos(part.seconds), end_ns - cursor);
    if (duration <= 0) continue;
    Span(json, first, pid, kMainTid, "part", cursor, duration);
    json.Raw(",\"name\":\"");
    json.Raw(part.name);
    json.Raw("\"}");
    cursor += duration;
  }
}

void AppendEval(JsonOut& json, bool* first, int64_t pid, const TraceEval& eval) {
  if (!std::isfinite(eval.end_s)) return;
  const int64_t end_ns = ToNanos(eval.end_s);
  const int64_t start_ns = end_ns - DurationNanos(eval.duration_s);
  Span(json, first, pid, kEvalTid, "eval", start_ns, end_ns - start_ns);
  json.Raw(",\"name\":\"eval\",\"args\":{\"step\":");
  json.Uint(eval.step);
  json.Raw(",\"test_accuracy\":");
  json.Number(eval.test_accuracy);
  json.Raw("}}");
}

// The pid each track is shown under: its own, unless an earlier track already has it.
std::vector<int64_t> DistinctPids(const std::vector<TraceTrack>& tracks) {
  int64_t next = 0;
  for (const TraceTrack& track : tracks) next = std::max(next, track.pid);
  std::set<int64_t> used;
  std::vector<int64_t> pids;
  pids.reserve(tracks.size());
  for (const TraceTrack& track : tracks) {
    int64_t pid = track.pid;
    if (!used.insert(pid).second) {
      pid = ++next;
      used.insert(pid);
    }
    pids.push_back(pid);
  }
  return pids;
}

}  // namespace

std::string ChromeTraceJson(const std::vector<TraceTrack>& tracks) {
  size_t events = 0;
  for (const TraceTrack& track : tracks) events += 8 * track.steps.size() + track.evals.size();
  std::string out;
  out.reserve(256 + 100 * events);
  JsonOut json(&out);
  json.Raw("{\"traceEvents\":[");
  bool first = true;
  const std::vector<int64_t> pids = DistinctPids(tracks);
  for (size_t i = 0; i < tracks.size(); ++i) {
    const TraceTrack& track = tracks[i];
    const int64_t pid = pids[i];
    Metadata(json, &first, pid, 0, "process_name", "name", track.name, 0);
    Metadata(json, &first, pid, 0, "process_sort_index", "sort_index", "", static_cast<int64_t>(i));
    Metadata(json, &first, pid, kMainTid, "thread_name", "name", track.name, 0);
    if (!track.evals.empty()) {
      Metadata(json, &first, pid, kEvalTid, "thread_name", "name", "eval", 0);
    }
    for (const StepRecord& step : track.steps) AppendStep(json, &first, pid, step);
    for (const TraceEval& eval : track.evals) AppendEval(json, &first, pid, eval);
  }
  json.Raw("],\"displayTimeUnit\":\"ms\"}\n");
  return out;
}

absl::Status WriteChromeTrace(const std::vector<TraceTrack>& tracks, const std::string& path) {
  return WriteFileAtomic(path, ChromeTraceJson(tracks));
}

}  // namespace distsim::report
