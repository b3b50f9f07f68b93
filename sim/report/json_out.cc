#include "sim/report/json_out.h"

namespace distsim::report {

// A JSON string literal: quotes, backslashes and control characters escaped, invalid UTF-8
// replaced by U+FFFD.
void JsonOut::String(std::string_view text) {
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

void JsonOut::AsciiChar(unsigned char c) {
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
size_t JsonOut::Utf8SequenceLength(std::string_view text, size_t i) {
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

}  // namespace distsim::report
