// Decoding UTF-8 one code point at a time, strictly (RFC 3629): overlong
// forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8.
// For plugins and the gateway alike; any thread, no state.
#pragma once

#include <cstddef>
#include <string_view>
#include <utility>

namespace herald {

// The code point of the UTF-8 sequence that starts at text[i], and its length
// in bytes (1 to 4); length 0 when the bytes there are not well-formed UTF-8.
inline std::pair<char32_t, std::size_t> decode_utf8(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return {lead, 1};
  // The length from the lead byte; 0x80..0xC1 and 0xF5.. start no sequence
  // (continuations, overlong two-byte forms, past U+10FFFF).
  std::size_t n = 0;
  char32_t c = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    n = 2;
    c = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    n = 3;
    c = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    n = 4;
    c = lead & 0x07;
  } else {
    return {0, 0};
  }
  if (text.size() - i < n) return {0, 0};
  for (std::size_t k = 1; k < n; ++k) {
    if ((byte(k) & 0xC0) != 0x80) return {0, 0};
    c = (c << 6) | (byte(k) & 0x3F);
  }
  const bool overlong = (n == 3 && c < 0x800) || (n == 4 && c < 0x10000);
  const bool surrogate = c >= 0xD800 && c <= 0xDFFF;
  if (overlong || surrogate || c > 0x10FFFF) return {0, 0};
  return {c, n};
}

// Where the first byte that is not part of well-formed UTF-8 is in `text`;
// std::string_view::npos when all of it is UTF-8.
inline std::size_t first_invalid_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = decode_utf8(text, i).second;
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

}  // namespace herald
