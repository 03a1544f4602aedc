#include <gtest/gtest.h>

#include "core/upcasting.h"

namespace herald::gateway {
namespace {

RecordedEvent event(const std::string& type, int version, Json data) {
  RecordedEvent e;
  e.id = "e1";
  e.type = type;
  e.schema_version = version;
  e.data = std::move(data);
  return e;
}

TEST(Upcasting, ChainRunsV1ToV3AndRenamesTheType) {
  UpcasterChain chain;
  chain.add(std::make_shared<DeclarativeUpcaster>("UserRegistered", 1, 2,
                                                  std::map<std::string, std::string>{{"fullName", "name"}},
                                                  Json::object(), std::vector<std::string>{"legacy"},
                                                  "UserCreated"));
  chain.add(std::make_shared<DeclarativeUpcaster>("UserCreated", 2, 3, std::map<std::string, std::string>{},
                                                  Json{{"tier", "basic"}}, std::vector<std::string>{}, ""));
  auto e = event("UserRegistered", 1, {{"fullName", "Ann"}, {"legacy", 1}, {"email", "a@x.io"}});
  ASSERT_TRUE(chain.upcast(e).is_ok());
  EXPECT_EQ(e.type, "UserCreated");
  EXPECT_EQ(e.schema_version, 3);
  EXPECT_EQ(e.data, (Json{{"name", "Ann"}, {"email", "a@x.io"}, {"tier", "basic"}}));

  // A current event passes untouched; a default never overwrites a value.
  auto current = event("UserCreated", 3, {{"tier", "gold"}});
  ASSERT_TRUE(chain.upcast(current).is_ok());
  EXPECT_EQ(current.data["tier"], "gold");
  auto v2 = event("UserCreated", 2, {{"tier", "gold"}});
  ASSERT_TRUE(chain.upcast(v2).is_ok());
  EXPECT_EQ(v2.data["tier"], "gold");
  EXPECT_EQ(v2.schema_version, 3);
}

TEST(Upcasting, AnUpcasterThatDoesNotMoveForwardIsAnError) {
  UpcasterChain chain;
  chain.add(std::make_shared<DeclarativeUpcaster>("A", 1, 1, std::map<std::string, std::string>{},
                                                  Json::object(), std::vector<std::string>{}, ""));
  auto e = event("A", 1, Json::object());
  auto s = chain.upcast(e);
  EXPECT_EQ(s.code(), StatusCode::kFailed);
  EXPECT_NE(s.message().find("did not raise"), std::string::npos);
}

TEST(Upcasting, TwoUpcastersForOneVersionAreRefused) {
  UpcasterChain chain;
  auto make = [] {
    return std::make_shared<DeclarativeUpcaster>("A", 1, 2, std::map<std::string, std::string>{},
                                                 Json::object(), std::vector<std::string>{}, "");
  };
  chain.add(make());
  EXPECT_THROW(chain.add(make()), std::invalid_argument);
}

}  // namespace
}  // namespace herald::gateway
