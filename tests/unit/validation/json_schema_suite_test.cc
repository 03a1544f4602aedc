// Runs the official JSON-Schema-Test-Suite (draft 2020-12) for every keyword
// and format herald supports. A case fails the test unless the skip list
// below names it with a reason.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "validation/json_schema.h"

namespace herald::gateway {
namespace {

namespace fs = std::filesystem;

// Suite files for the keywords herald implements.
const std::vector<std::string> kSuiteFiles = {
    "type.json",
    "required.json",
    "properties.json",
    "additionalProperties.json",
    "patternProperties.json",
    "propertyNames.json",
    "enum.json",
    "const.json",
    "minimum.json",
    "maximum.json",
    "exclusiveMinimum.json",
    "exclusiveMaximum.json",
    "multipleOf.json",
    "minLength.json",
    "maxLength.json",
    "pattern.json",
    "items.json",
    "prefixItems.json",
    "minItems.json",
    "maxItems.json",
    "uniqueItems.json",
    "contains.json",
    "minContains.json",
    "maxContains.json",
    "ref.json",
    "defs.json",
    "anchor.json",
    "id.json",
    "unknownKeyword.json",
    "allOf.json",
    "anyOf.json",
    "oneOf.json",
    "not.json",
    "if-then-else.json",
    "boolean_schema.json",
    "dependentRequired.json",
    "dependentSchemas.json",
    "minProperties.json",
    "maxProperties.json",
    "format.json",
    "default.json",
    "infinite-loop-detection.json",
    "optional/format/email.json",
    "optional/format/uuid.json",
    "optional/format/date-time.json",
    "optional/format/date.json",
    "optional/format/uri.json",
    "optional/format/ipv4.json",
    "optional/format/ipv6.json",
    "optional/format/hostname.json",
};

struct Skip {
  std::string file;
  std::string group;  // the test group's description
  std::string test;   // one case's description; empty for the whole group
  std::string reason;
};

// Cases outside what herald implements (see gateway/validation/README.md).
const std::vector<Skip> kSkips = {
    {"ref.json", "remote ref, containing refs itself", "",
     "refers to the draft 2020-12 meta-schema, another document"},
    {"ref.json", "ref creates new scope when adjacent to keywords", "",
     "needs unevaluatedProperties"},
    {"ref.json", "URN base URI with f-component", "",
     "validates a schema against the meta-schema, another document"},
    {"defs.json", "validate definition against metaschema", "",
     "validates a schema against the meta-schema, another document"},
    {"anchor.json", "invalid anchors", "",
     "validates a schema against the meta-schema, another document"},
    {"id.json", "Invalid use of fragments in location-independent $id", "",
     "validates a schema against the meta-schema, another document"},
    {"id.json", "Valid use of empty fragments in location-independent $id", "",
     "validates a schema against the meta-schema, another document"},
    {"id.json", "Unnormalized $ids are allowed but discouraged", "",
     "validates a schema against the meta-schema, another document"},
    {"not.json", "collect annotations inside a 'not', even if collection is disabled", "",
     "needs unevaluatedProperties"},
};

// The suite ships in different packages on different Debian releases.
fs::path find_suite() {
  const std::vector<fs::path> candidates = {
      JSON_SCHEMA_TEST_SUITE_DIR,
      "/usr/share/json-schema-test-suite/tests/draft2020-12",
      "/usr/share/perl5/auto/share/dist/Test-JSON-Schema-Acceptance/tests/draft2020-12",
  };
  for (const fs::path& candidate : candidates) {
    if (fs::exists(candidate / "type.json")) return candidate;
  }
  return {};
}

const Skip* find_skip(const std::string& file, const std::string& group, const std::string& test) {
  for (const Skip& skip : kSkips) {
    if (skip.file == file && skip.group == group && (skip.test.empty() || skip.test == test)) {
      return &skip;
    }
  }
  return nullptr;
}

TEST(JsonSchemaSuite, Draft202012) {
  const fs::path suite = find_suite();
  if (suite.empty()) {
    FAIL() << "JSON-Schema-Test-Suite for draft 2020-12 not found (looked in "
           << JSON_SCHEMA_TEST_SUITE_DIR
           << " and the Debian package folders). Install it: apt-get install "
              "libtest-json-schema-acceptance-perl (Debian bookworm's json-schema-test-suite "
              "package stops at draft 7), or run scripts/test.sh, which installs it.";
  }
  std::size_t total_passed = 0;
  std::size_t total_run = 0;
  std::size_t total_skipped = 0;
  std::vector<bool> skip_used(kSkips.size(), false);

  for (const std::string& file : kSuiteFiles) {
    std::ifstream in(suite / file);
    ASSERT_TRUE(in) << "missing suite file " << (suite / file);
    const Json groups = Json::parse(in);
    std::size_t passed = 0;
    std::size_t run = 0;
    std::size_t skipped = 0;
    for (const Json& group : groups) {
      const std::string group_name = group.at("description").get<std::string>();
      std::unique_ptr<JsonSchema> schema;
      std::string compile_error;
      try {
        schema = std::make_unique<JsonSchema>(group.at("schema"));
      } catch (const SchemaError& e) {
        compile_error = e.what();
      }
      for (const Json& test : group.at("tests")) {
        const std::string test_name = test.at("description").get<std::string>();
        if (const Skip* skip = find_skip(file, group_name, test_name)) {
          skip_used[skip - kSkips.data()] = true;
          ++skipped;
          continue;
        }
        ++run;
        const std::string where = file + " / " + group_name + " / " + test_name;
        if (!schema) {
          ADD_FAILURE() << where << ": schema did not compile: " << compile_error;
          continue;
        }
        const Json& data = test.at("data");
        const bool expected = test.at("valid").get<bool>();
        const bool verdict = schema->is_valid(data);
        const std::vector<ValidationError> errors = schema->validate(data);
        if (verdict != expected) {
          ADD_FAILURE() << where << ": expected " << (expected ? "valid" : "invalid") << " for "
                        << data.dump();
        } else if (errors.empty() != verdict) {
          // Both evaluation modes must agree, or 422 answers would be empty.
          ADD_FAILURE() << where << ": is_valid() says " << verdict << " but validate() gave "
                        << errors.size() << " errors";
        } else {
          ++passed;
        }
      }
    }
    std::cout << "  " << file << ": " << passed << "/" << run << " passed";
    if (skipped > 0) std::cout << ", " << skipped << " skipped";
    std::cout << "\n";
    total_passed += passed;
    total_run += run;
    total_skipped += skipped;
  }
  for (std::size_t i = 0; i < kSkips.size(); ++i) {
    EXPECT_TRUE(skip_used[i]) << "stale skip entry: " << kSkips[i].file << " / " << kSkips[i].group
                              << " / " << kSkips[i].test;
  }
  std::cout << "skip list: " << kSkips.size() << " entries\n";
  std::cout << "JSON-Schema-Test-Suite draft2020-12: " << total_passed << "/" << total_run
            << " passed, " << total_skipped << " skipped\n";
  EXPECT_EQ(total_passed, total_run);
}

}  // namespace
}  // namespace herald::gateway
