#include "validation/formats.h"

#include <cstring>

namespace herald::gateway::validation {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// Parses exactly `width` ASCII digits at text[pos]; -1 when they are not there.
int digits(std::string_view text, std::size_t pos, std::size_t width) {
  if (pos + width > text.size()) return -1;
  int value = 0;
  for (std::size_t i = pos; i < pos + width; ++i) {
    if (!is_digit(text[i])) return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

int days_in_month(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2) {
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return leap ? 29 : 28;
  }
  return kDays[month - 1];
}

// "YYYY-MM-DD" at the start of text.
bool parse_full_date(std::string_view text) {
  if (text.size() < 10 || text[4] != '-' || text[7] != '-') return false;
  const int year = digits(text, 0, 4);
  const int month = digits(text, 5, 2);
  const int day = digits(text, 8, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1) return false;
  return day <= days_in_month(year, month);
}

bool is_atext(char c) {
  return is_alpha(c) || is_digit(c) || (c != '\0' && std::strchr("!#$%&'*+-/=?^_`{|}~", c));
}

bool is_unreserved(char c) {
  return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

bool is_sub_delim(char c) { return c != '\0' && std::strchr("!$&'()*+,;=", c) != nullptr; }

// Checks that every character of text is unreserved, a sub-delim, a
// percent-escape or one of `extra`.
bool uri_chars(std::string_view text, const char* extra) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size() || !is_hex(text[i + 1]) || !is_hex(text[i + 2])) return false;
      i += 2;
    } else if (!is_unreserved(c) && !is_sub_delim(c) && std::strchr(extra, c) == nullptr) {
      return false;
    }
  }
  return true;
}

bool is_ip_literal(std::string_view inside) {
  // IPvFuture: "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
  if (!inside.empty() && (inside[0] == 'v' || inside[0] == 'V')) {
    const std::size_t dot = inside.find('.');
    if (dot == std::string_view::npos || dot < 2 || dot + 1 >= inside.size()) return false;
    for (std::size_t i = 1; i < dot; ++i) {
      if (!is_hex(inside[i])) return false;
    }
    for (char c : inside.substr(dot + 1)) {
      if (!is_unreserved(c) && !is_sub_delim(c) && c != ':') return false;
    }
    return true;
  }
  return is_ipv6(inside);
}

bool is_authority(std::string_view authority) {
  const std::size_t at = authority.find('@');
  if (at != std::string_view::npos) {
    if (!uri_chars(authority.substr(0, at), ":")) return false;
    authority.remove_prefix(at + 1);
  }
  std::string_view host = authority;
  std::string_view port;
  if (!host.empty() && host[0] == '[') {
    const std::size_t close = host.find(']');
    if (close == std::string_view::npos) return false;
    if (!is_ip_literal(host.substr(1, close - 1))) return false;
    std::string_view rest = host.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return false;
      port = rest.substr(1);
    }
  } else {
    const std::size_t colon = host.find(':');
    if (colon != std::string_view::npos) {
      port = host.substr(colon + 1);
      host = host.substr(0, colon);
    }
    if (!uri_chars(host, "")) return false;
  }
  for (char c : port) {
    if (!is_digit(c)) return false;
  }
  return true;
}

}  // namespace

bool is_ipv4(std::string_view text) {
  int parts = 0;
  std::size_t pos = 0;
  while (true) {
    std::size_t len = 0;
    int value = 0;
    while (pos + len < text.size() && is_digit(text[pos + len]) && len < 4) {
      value = value * 10 + (text[pos + len] - '0');
      ++len;
    }
    if (len == 0 || len > 3 || value > 255) return false;
    if (len > 1 && text[pos] == '0') return false;  // leading zeros read as octal elsewhere
    pos += len;
    ++parts;
    if (parts == 4) return pos == text.size();
    if (pos >= text.size() || text[pos] != '.') return false;
    ++pos;
  }
}

bool is_ipv6(std::string_view text) {
  int groups = 0;
  bool compressed = false;
  std::size_t pos = 0;
  if (text.substr(0, 2) == "::") {
    compressed = true;
    pos = 2;
    if (pos == text.size()) return true;
  } else if (!text.empty() && text[0] == ':') {
    return false;
  }
  while (pos < text.size()) {
    std::size_t len = 0;
    while (pos + len < text.size() && is_hex(text[pos + len])) ++len;
    if (pos + len < text.size() && text[pos + len] == '.') {
      // Embedded IPv4 takes the last two groups.
      if (!is_ipv4(text.substr(pos))) return false;
      groups += 2;
      pos = text.size();
      break;
    }
    if (len == 0 || len > 4) return false;
    ++groups;
    pos += len;
    if (pos == text.size()) break;
    if (text[pos] != ':') return false;
    ++pos;
    if (pos < text.size() && text[pos] == ':') {
      if (compressed) return false;
      compressed = true;
      ++pos;
      if (pos == text.size()) break;
    } else if (pos == text.size()) {
      return false;  // trailing single colon
    }
  }
  return compressed ? groups < 8 : groups == 8;
}

bool is_hostname(std::string_view text) {
  if (text.empty() || text.size() > 253) return false;
  std::size_t start = 0;
  while (true) {
    std::size_t end = text.find('.', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view label = text.substr(start, end - start);
    if (label.empty() || label.size() > 63) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!is_alpha(c) && !is_digit(c) && c != '-') return false;
    }
    if (end == text.size()) return true;
    start = end + 1;
  }
}

bool is_email(std::string_view text) {
  std::size_t pos = 0;
  if (!text.empty() && text[0] == '"') {
    pos = 1;
    while (pos < text.size() && text[pos] != '"') {
      const char c = text[pos];
      if (c == '\\') {
        if (pos + 1 >= text.size() || text[pos + 1] < 32 || text[pos + 1] > 126) return false;
        pos += 2;
      } else if (c < 32 || c > 126) {
        return false;
      } else {
        ++pos;
      }
    }
    if (pos >= text.size()) return false;
    ++pos;  // closing quote
  } else {
    bool after_dot = true;  // no dot may start the local part
    while (pos < text.size() && text[pos] != '@') {
      if (text[pos] == '.') {
        if (after_dot) return false;
        after_dot = true;
      } else if (is_atext(text[pos])) {
        after_dot = false;
      } else {
        return false;
      }
      ++pos;
    }
    if (after_dot) return false;  // empty, or a dot at the end
  }
  if (pos > 64 || pos >= text.size() || text[pos] != '@') return false;
  const std::string_view domain = text.substr(pos + 1);
  if (!domain.empty() && domain.front() == '[') {
    if (domain.back() != ']') return false;
    const std::string_view literal = domain.substr(1, domain.size() - 2);
    if (literal.substr(0, 5) == "IPv6:") return is_ipv6(literal.substr(5));
    return is_ipv4(literal);
  }
  return is_hostname(domain);
}

bool is_uuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_position ? text[i] != '-' : !is_hex(text[i])) return false;
  }
  return true;
}

bool is_date(std::string_view text) { return text.size() == 10 && parse_full_date(text); }

bool is_date_time(std::string_view text) {
  // full-date "T" HH:MM:SS [.frac] (Z / +HH:MM / -HH:MM)
  if (!parse_full_date(text) || text.size() < 20) return false;
  if (text[10] != 'T' && text[10] != 't') return false;
  if (text[13] != ':' || text[16] != ':') return false;
  const int hour = digits(text, 11, 2);
  const int minute = digits(text, 14, 2);
  const int second = digits(text, 17, 2);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) {
    return false;
  }
  std::size_t pos = 19;
  if (text[pos] == '.') {
    ++pos;
    const std::size_t start = pos;
    while (pos < text.size() && is_digit(text[pos])) ++pos;
    if (pos == start) return false;
  }
  if (pos >= text.size()) return false;
  int offset_minutes = 0;
  if (text[pos] == 'Z' || text[pos] == 'z') {
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-') {
    if (pos + 6 != text.size() || text[pos + 3] != ':') return false;
    const int offset_hour = digits(text, pos + 1, 2);
    const int offset_minute = digits(text, pos + 4, 2);
    if (offset_hour < 0 || offset_hour > 23 || offset_minute < 0 || offset_minute > 59) {
      return false;
    }
    offset_minutes = (offset_hour * 60 + offset_minute) * (text[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return false;
  }
  if (pos != text.size()) return false;
  if (second == 60) {
    // A leap second is always 23:59:60 in UTC.
    const int utc = ((hour * 60 + minute - offset_minutes) % 1440 + 1440) % 1440;
    if (utc != 23 * 60 + 59) return false;
  }
  return true;
}

bool is_uri(std::string_view text) {
  // scheme
  if (text.empty() || !is_alpha(text[0])) return false;
  std::size_t pos = 1;
  while (pos < text.size() && (is_alpha(text[pos]) || is_digit(text[pos]) || text[pos] == '+' ||
                               text[pos] == '-' || text[pos] == '.')) {
    ++pos;
  }
  if (pos >= text.size() || text[pos] != ':') return false;
  std::string_view rest = text.substr(pos + 1);

  std::string_view fragment;
  const std::size_t hash = rest.find('#');
  if (hash != std::string_view::npos) {
    fragment = rest.substr(hash + 1);
    rest = rest.substr(0, hash);
  }
  std::string_view query;
  const std::size_t question = rest.find('?');
  if (question != std::string_view::npos) {
    query = rest.substr(question + 1);
    rest = rest.substr(0, question);
  }
  if (!uri_chars(fragment, ":@/?") || !uri_chars(query, ":@/?")) return false;

  std::string_view path = rest;
  if (rest.substr(0, 2) == "//") {
    const std::size_t slash = rest.find('/', 2);
    const std::string_view authority =
        rest.substr(2, slash == std::string_view::npos ? std::string_view::npos : slash - 2);
    if (!is_authority(authority)) return false;
    path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  }
  return uri_chars(path, ":@/");
}

}  // namespace herald::gateway::validation
