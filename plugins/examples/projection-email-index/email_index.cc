// Example projection written in C++ against the SDK: an index from e-mail
// address (case-insensitive) to user id, fed by the User events — the read
// model a sign-up form asks "is this address taken?".
//
// Threads (see herald/projection.h): apply() runs on the projection's
// subscription thread only, in global order; get() and query() run on HTTP
// threads at the same time, so the maps are guarded by a shared_mutex.
#include <herald/herald.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <shared_mutex>

namespace herald::plugins::email_index {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

class EmailIndex final : public Projection {
 public:
  explicit EmailIndex(bool include_inactive) : include_inactive_(include_inactive) {}

  Status apply(const RecordedEvent& e) override {
    std::unique_lock lock(mutex_);
    if (e.position <= position_) return Status::ok();  // at-least-once: seen already
    const std::string& user = e.stream.id;
    if (e.type == "UserCreated" || e.type == "UserUpdated") {
      if (auto it = e.data.find("email"); it != e.data.end() && it->is_string()) {
        if (auto old = email_of_.find(user); old != email_of_.end()) by_email_.erase(old->second);
        email_of_[user] = lower(it->get<std::string>());
        if (active_.count(user) || e.type == "UserCreated" || include_inactive_) {
          by_email_[email_of_[user]] = user;
        }
      }
      if (e.type == "UserCreated") active_.insert(user);
    } else if (e.type == "UserDeactivated") {
      active_.erase(user);
      if (!include_inactive_) {
        if (auto it = email_of_.find(user); it != email_of_.end()) by_email_.erase(it->second);
      }
    } else if (e.type == "UserActivated") {
      active_.insert(user);
      if (auto it = email_of_.find(user); it != email_of_.end()) by_email_[it->second] = user;
    }
    position_ = e.position;
    return Status::ok();
  }

  Position position() const override {
    std::shared_lock lock(mutex_);
    return position_;
  }

  // GET /v1/projections/{name}/{email}
  Result<std::optional<Json>> get(const std::string& email) const override {
    std::shared_lock lock(mutex_);
    auto it = by_email_.find(lower(email));
    if (it == by_email_.end()) return std::optional<Json>();
    return std::optional<Json>(Json{{"email", it->first}, {"user_id", it->second}});
  }

  // GET /v1/projections/{name}?q=&limit=&offset=: addresses containing q.
  Result<QueryPage> query(const Query& q) const override {
    std::shared_lock lock(mutex_);
    QueryPage page;
    const std::string needle = lower(q.text);
    for (const auto& [email, user] : by_email_) {
      if (!needle.empty() && email.find(needle) == std::string::npos) continue;
      if (page.total++ < q.offset || page.items.size() >= q.limit) continue;
      page.items.push_back(Json{{"email", email}, {"user_id", user}});
    }
    return page;
  }

 private:
  const bool include_inactive_;
  mutable std::shared_mutex mutex_;
  std::map<std::string, std::string> by_email_;           // email -> user id
  std::map<std::string, std::string> email_of_;           // user id -> email
  std::set<std::string> active_;
  Position position_ = 0;
};

}  // namespace

const PluginDescriptor& descriptor() {
  static const PluginDescriptor d = [] {
    PluginDescriptor p;
    p.name = "email-index";
    p.kind = PluginKind::kProjection;
    p.version = "1.0.0";
    p.description = "Example C++ projection: e-mail address (case-insensitive) to user id.";
    p.schema = {opt::boolean("include_inactive", "Keep deactivated users' addresses in the index.")
                    .def(false)};
    p.make_projection = [](const PluginContext& ctx) {
      return std::make_unique<EmailIndex>(ctx.config.value("include_inactive", false));
    };
    return p;
  }();
  return d;
}

}  // namespace herald::plugins::email_index

HERALD_PLUGIN(herald::plugins::email_index::descriptor)
