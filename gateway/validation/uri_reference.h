// URI reference resolution (RFC 3986 section 5) for "$id" and "$ref": enough
// to find resources and anchors inside one schema document. Internal to
// herald_validation.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace herald::gateway::validation {

// Resolves `reference` against the absolute URI `base`.
std::string resolve_uri(std::string_view base, std::string_view reference);

// Splits "a#b" into {"a", "b"}; the fragment is still percent-encoded.
std::pair<std::string, std::string> split_fragment(std::string_view uri);

// "%25" -> "%"; malformed escapes are kept as they are.
std::string percent_decode(std::string_view text);

}  // namespace herald::gateway::validation
