// Suggestions for a word that names nothing known: a misspelt config key,
// command type, request key or command data property. Used by the config
// checks, the command router, the HTTP API and the JSON Schema validator.
//
// Pure functions; safe from any thread.
#pragma once

#include <string>
#include <vector>

namespace herald::gateway {

// The candidate closest to `word` (Damerau-Levenshtein, optimal string
// alignment, case-insensitive) when close enough to be a likely typo: at most
// max(1, len(word) / 3) edits. Ties go to the earlier candidate. Else empty.
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

// "did you mean 'x'?" or empty.
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

// "a, b, c": a list for a message.
std::string join_words(const std::vector<std::string>& words);

}  // namespace herald::gateway
