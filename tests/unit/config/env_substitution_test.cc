// ${VAR} substitution, on its own and as the document applies it.
#include "config/env_substitution.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "config/config_document.h"

namespace herald::gateway {
namespace {

// Sets (or unsets, with nullptr) an environment variable for one test.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) {
      old_ = old;
      had_ = true;
    }
    if (value) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (had_) {
      ::setenv(name_, old_.c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

TEST(EnvSubstitution, SetVariableIsReplaced) {
  ScopedEnv env("HERALD_T_HOST", "db.internal");
  auto r = substitute_env("redis://${HERALD_T_HOST}:6379");
  EXPECT_EQ(r.text, "redis://db.internal:6379");
  EXPECT_TRUE(r.substituted);
  EXPECT_TRUE(r.errors.empty());
}

TEST(EnvSubstitution, UnsetWithoutDefaultIsAnError) {
  ScopedEnv env("HERALD_T_MISSING", nullptr);
  auto r = substitute_env("x${HERALD_T_MISSING}y");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].message, "environment variable HERALD_T_MISSING is not set");
  EXPECT_EQ(r.errors[0].hint, "set it, or give a default: ${HERALD_T_MISSING:-value}");
  EXPECT_EQ(r.text, "xy");
}

TEST(EnvSubstitution, AnUnsetNameNextToASetOneIsProbablyMisspelt) {
  ScopedEnv missing("HERALD_T_LISTN", nullptr);
  {
    ScopedEnv set("HERALD_T_LISTEN", "127.0.0.1:9000");
    auto r = substitute_env("${HERALD_T_LISTN}");
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0].message, "environment variable HERALD_T_LISTN is not set");
    EXPECT_EQ(r.errors[0].hint,
              "did you mean HERALD_T_LISTEN, which is set? Otherwise set it, or give a default: "
              "${HERALD_T_LISTN:-value}");
  }
  // An empty variable is as good as unset: not offered.
  ScopedEnv empty("HERALD_T_LISTEN", "");
  auto r = substitute_env("${HERALD_T_LISTN}");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].hint, "set it, or give a default: ${HERALD_T_LISTN:-value}");
}

TEST(EnvSubstitution, DefaultWhenUnsetOrEmpty) {
  ScopedEnv unset("HERALD_T_UNSET", nullptr);
  ScopedEnv empty("HERALD_T_EMPTY", "");
  EXPECT_EQ(substitute_env("${HERALD_T_UNSET:-./data}/log").text, "./data/log");
  EXPECT_EQ(substitute_env("${HERALD_T_EMPTY:-fallback}").text, "fallback");
  // Set but empty, no default: the empty string, not an error.
  auto r = substitute_env("[${HERALD_T_EMPTY}]");
  EXPECT_EQ(r.text, "[]");
  EXPECT_TRUE(r.errors.empty());
}

TEST(EnvSubstitution, SetVariableWinsOverDefault) {
  ScopedEnv env("HERALD_T_LEVEL", "debug");
  EXPECT_EQ(substitute_env("${HERALD_T_LEVEL:-info}").text, "debug");
}

TEST(EnvSubstitution, EmptyDefault) {
  ScopedEnv env("HERALD_T_UNSET", nullptr);
  auto r = substitute_env("a${HERALD_T_UNSET:-}b");
  EXPECT_EQ(r.text, "ab");
  EXPECT_TRUE(r.errors.empty());
}

TEST(EnvSubstitution, DoubleDollarIsALiteral) {
  ScopedEnv env("HERALD_T_HOST", "h");
  EXPECT_EQ(substitute_env("$${HERALD_T_HOST}").text, "${HERALD_T_HOST}");
  EXPECT_EQ(substitute_env("cost: $5 and $$ and $${x} and ${HERALD_T_HOST}").text,
            "cost: $5 and $$ and ${x} and h");
  EXPECT_FALSE(substitute_env("$${X}").substituted);
}

TEST(EnvSubstitution, SeveralInOneScalar) {
  ScopedEnv user("HERALD_T_USER", "guest");
  ScopedEnv pass("HERALD_T_PASS", "secret");
  ScopedEnv host("HERALD_T_UNSET", nullptr);
  EXPECT_EQ(
      substitute_env("amqp://${HERALD_T_USER}:${HERALD_T_PASS}@${HERALD_T_UNSET:-localhost}/").text,
      "amqp://guest:secret@localhost/");
}

TEST(EnvSubstitution, NestedDefault) {
  ScopedEnv a("HERALD_T_A", nullptr);
  ScopedEnv b("HERALD_T_B", "from-b");
  EXPECT_EQ(substitute_env("${HERALD_T_A:-${HERALD_T_B}}").text, "from-b");
  EXPECT_EQ(substitute_env("${HERALD_T_A:-${HERALD_T_A:-deep}}").text, "deep");
}

TEST(EnvSubstitution, ValuesAreNotScannedAgain) {
  ScopedEnv env("HERALD_T_RAW", "${HOME}");
  EXPECT_EQ(substitute_env("${HERALD_T_RAW}").text, "${HOME}");
}

TEST(EnvSubstitution, MalformedReferences) {
  EXPECT_EQ(substitute_env("${UNCLOSED").errors.size(), 1u);
  EXPECT_EQ(substitute_env("${}").errors.size(), 1u);
  EXPECT_EQ(substitute_env("${1ABC}").errors.size(), 1u);
  EXPECT_EQ(substitute_env("${A B}").errors.size(), 1u);
  EXPECT_EQ(substitute_env("${A-b}").errors.size(), 1u);
  EXPECT_EQ(substitute_env("${UNCLOSED").errors[0].message, "unterminated '${' in \"${UNCLOSED\"");
}

TEST(EnvSubstitutionInDocument, TypedAfterSubstitution) {
  ScopedEnv port("HERALD_T_PORT", "8080");
  ScopedEnv on("HERALD_T_ON", "true");
  ScopedEnv ratio("HERALD_T_RATIO", "0.5");
  ScopedEnv unset("HERALD_T_UNSET", nullptr);
  auto doc = ConfigDocument::from_string(
      "port: ${HERALD_T_PORT}\n"
      "on: ${HERALD_T_ON}\n"
      "ratio: ${HERALD_T_RATIO}\n"
      "nothing: ${HERALD_T_UNSET:-null}\n"
      "empty: ${HERALD_T_UNSET:-}\n"
      "mixed: ${HERALD_T_PORT}x\n",
      "t.yaml");
  EXPECT_EQ(doc.root()["port"], Json(8080));
  EXPECT_EQ(doc.root()["on"], Json(true));
  EXPECT_EQ(doc.root()["ratio"], Json(0.5));
  EXPECT_TRUE(doc.root()["nothing"].is_null());
  // An empty substitution is the empty string, so `password: ${P:-}` means "none".
  EXPECT_EQ(doc.root()["empty"], Json(""));
  EXPECT_EQ(doc.root()["mixed"], Json("8080x"));
}

TEST(EnvSubstitutionInDocument, QuotedStaysString) {
  ScopedEnv port("HERALD_T_PORT", "8080");
  auto doc = ConfigDocument::from_string(
      "a: \"${HERALD_T_PORT}\"\n"
      "b: '${HERALD_T_PORT}'\n"
      "c: |\n  ${HERALD_T_PORT}\n",
      "t.yaml");
  EXPECT_EQ(doc.root()["a"], Json("8080"));
  EXPECT_EQ(doc.root()["b"], Json("8080"));
  EXPECT_EQ(doc.root()["c"], Json("8080\n"));
}

TEST(EnvSubstitutionInDocument, UnsetVariablesAreProblemsWithLines) {
  ScopedEnv a("HERALD_T_MISSING_A", nullptr);
  ScopedEnv b("HERALD_T_MISSING_B", nullptr);
  try {
    ConfigDocument::from_string(
        "store:\n"
        "  plugin: redis\n"
        "  config:\n"
        "    url: ${HERALD_T_MISSING_A}\n"
        "transports:\n"
        "  - name: bus\n"
        "    config: { url: \"amqp://${HERALD_T_MISSING_B}\" }\n",
        "env.yaml");
    FAIL() << "expected ConfigErrors";
  } catch (const ConfigErrors& e) {
    ASSERT_EQ(e.problems().size(), 2u) << e.what();
    EXPECT_EQ(e.problems()[0].where.line, 4);
    EXPECT_EQ(e.problems()[0].where.column, 10);
    EXPECT_EQ(e.problems()[0].path, "store.config.url");
    EXPECT_EQ(e.problems()[0].message, "environment variable HERALD_T_MISSING_A is not set");
    EXPECT_EQ(e.problems()[1].where.line, 7);
    EXPECT_EQ(e.problems()[1].path, "transports[0].config.url");
    EXPECT_EQ(e.problems()[0].to_string(),
              "env.yaml:4:10: store.config.url: environment variable HERALD_T_MISSING_A is not "
              "set (set it, or give a default: ${HERALD_T_MISSING_A:-value})");
  }
}

}  // namespace
}  // namespace herald::gateway
