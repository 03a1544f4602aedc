// Checks for the "format" values herald asserts. Every other format is an
// annotation and passes, as draft 2020-12 allows. Internal to
// herald_validation; pure functions, safe from any thread.
#pragma once

#include <string_view>

namespace herald::gateway::validation {

// RFC 5321 mailbox: dot-atom or quoted local part, host name or address
// literal ("[127.0.0.1]", "[IPv6:::1]") as domain. ASCII only.
bool is_email(std::string_view text);
// 8-4-4-4-12 hexadecimal digits, any case, any version.
bool is_uuid(std::string_view text);
// RFC 3339 date-time, including the leap-second rule (23:59:60 in UTC only).
bool is_date_time(std::string_view text);
// RFC 3339 full-date.
bool is_date(std::string_view text);
// RFC 3986 URI: a scheme is required (relative references are not URIs).
bool is_uri(std::string_view text);
// Dotted quad, no leading zeros.
bool is_ipv4(std::string_view text);
// RFC 4291 text form, with "::" and an embedded IPv4 tail.
bool is_ipv6(std::string_view text);
// RFC 1123 host name: dot-separated labels of letters, digits and hyphens.
bool is_hostname(std::string_view text);

}  // namespace herald::gateway::validation
