// The users read model as a user writes it in herald.yaml, as the JSON the
// YAML becomes: shared by the document projection's tests and
// bench/projection-apply, so the benchmark measures what the tests check.
#pragma once

namespace herald::plugins::document::testing {

inline constexpr const char* kUsersConfig = R"({
  "id": "$stream.id",
  "search": ["name", "email"],
  "sort": "name",
  "on": {
    "UserCreated": {"set": {"name": "$event.data.name", "email": "$event.data.email",
                            "active": true, "created_at": "$event.timestamp"}},
    "UserUpdated": {"set": {"name": "$event.data.name", "email": "$event.data.email"}},
    "UserDeactivated": {"set": {"active": false, "deactivation_reason": "$event.data.reason"}},
    "UserActivated": {"set": {"active": true}, "remove": ["deactivation_reason"]}
  }
})";

}  // namespace herald::plugins::document::testing
