// The seed of a randomized test: `fallback`, or HERALD_TEST_SEED from the
// environment, to run the test with other seeds and search further
// (HERALD_TEST_SEED=7 ./build/bin/<test> --gtest_filter=...).
#pragma once

#include <cstdint>
#include <cstdlib>

namespace herald::testing {

inline std::uint32_t test_seed(std::uint32_t fallback) {
  const char* env = std::getenv("HERALD_TEST_SEED");
  return env != nullptr ? static_cast<std::uint32_t>(std::strtoul(env, nullptr, 10)) : fallback;
}

}  // namespace herald::testing
