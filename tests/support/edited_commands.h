// For tests that send randomly edited command data (support/json_mutator.h)
// through the gateway: what each answer may be.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "herald/command.h"

namespace herald::testing {

struct CommandTally {
  int accepted = 0;
  int refused = 0;

  // `outcome` of command `type` with `data`: accepted, or refused with
  // reasons (422; 400 only for data that is not an object). Anything else
  // (a 500, a 409 nobody asked for) fails the test.
  void count(const std::string& type, const Json& data, const CommandOutcome& outcome) {
    using Kind = CommandOutcome::Kind;
    switch (outcome.kind) {
      case Kind::kOk: ++accepted; break;
      case Kind::kRejected:
        ++refused;
        EXPECT_FALSE(outcome.body.value("detail", "").empty()) << outcome.body;
        break;
      case Kind::kBadRequest:
        ++refused;
        EXPECT_FALSE(data.is_object()) << data.dump() << " answered " << outcome.body;
        break;
      default: ADD_FAILURE() << type << " " << data.dump() << " answered " << outcome.body;
    }
  }
};

}  // namespace herald::testing
