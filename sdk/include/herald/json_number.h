// Arithmetic on JSON numbers, for plugins that add up event data (counters,
// totals). Any thread; no state.
#pragma once

#include <cstdint>

#include "herald/event.h"

namespace herald {

// a + b, or a - b with `subtract`, of two JSON numbers. Integers stay
// integers (a counter is served as 3, not 3.0) while the exact result fits
// in int64; otherwise, or when either is a float, the result is a double.
// Integers are read as what they are: nlohmann holds those above INT64_MAX
// unsigned, and reading one signed would wrap it round to a negative number.
inline Json add_numbers(const Json& a, const Json& b, bool subtract = false) {
  if (a.is_number_integer() && b.is_number_integer()) {
    // The overflow builtins take mixed signedness and compute exactly.
    auto exact = [subtract](auto x, auto y, std::int64_t& out) {
      return subtract ? !__builtin_sub_overflow(x, y, &out) : !__builtin_add_overflow(x, y, &out);
    };
    auto with_b = [&](auto x, std::int64_t& out) {
      return b.is_number_unsigned() ? exact(x, b.get<std::uint64_t>(), out)
                                    : exact(x, b.get<std::int64_t>(), out);
    };
    std::int64_t sum = 0;
    const bool fits = a.is_number_unsigned() ? with_b(a.get<std::uint64_t>(), sum)
                                             : with_b(a.get<std::int64_t>(), sum);
    if (fits) return sum;
  }
  const double x = a.get<double>();
  const double y = b.get<double>();
  return subtract ? x - y : x + y;
}

}  // namespace herald
