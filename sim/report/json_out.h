// JsonOut: appends JSON text to one growing string, for the Chrome trace (trace.cc). Internal to
// sim/report.
#ifndef DISTSIM_SIM_REPORT_JSON_OUT_H_
#define DISTSIM_SIM_REPORT_JSON_OUT_H_

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace distsim::report {

// Fast enough for a million events.
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

  // A JSON string literal: quotes, backslashes and control characters escaped, invalid UTF-8
  // replaced by U+FFFD.
  void String(std::string_view text);

 private:
  template <typename T>
  void ToChars(T value) {
    char buffer[64];
    const std::to_chars_result result = std::to_chars(buffer, buffer + sizeof(buffer), value);
    out_->append(buffer, static_cast<size_t>(result.ptr - buffer));
  }

  void AsciiChar(unsigned char c);

  // The length of the well-formed UTF-8 sequence (RFC 3629: no overlong forms, no surrogates,
  // nothing above U+10FFFF) starting at text[i] (not ASCII), or 0 if there is none.
  static size_t Utf8SequenceLength(std::string_view text, size_t i);

  std::string* out_;
};

}  // namespace distsim::report

#endif  // DISTSIM_SIM_REPORT_JSON_OUT_H_
