// The seed's order domain: CreateOrder, PayOrder, ShipOrder, CancelOrder.
//
// The example plugin of the SDK tutorial (README.md beside this file). What it
// shows:
//   - an Aggregate keeps no mutable state: all it knows of one order is the
//     Json state the gateway folds with apply() and hands to decide(), so one
//     object serves every order on every thread;
//   - its only per-instance knowledge is its config (max_items), read once by
//     the factory, so it is immutable after construction;
//   - each command declares a JSON Schema the gateway checks before decide();
//     decide() checks the same fields again so the aggregate is correct
//     without the gateway (in unit tests, in another host);
//   - a rejection lists every rule that failed, not only the first.
#include <herald/herald.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace herald::plugins::order {
namespace {

// The order's lifecycle: new (no events) → created → paid → shipped, and
// cancelled from created or paid.
constexpr const char* kNew = "new";
constexpr const char* kCreated = "created";
constexpr const char* kPaid = "paid";
constexpr const char* kShipped = "shipped";
constexpr const char* kCancelled = "cancelled";

constexpr std::int64_t kDefaultMaxItems = 100;
constexpr std::int64_t kMaxItemsLimit = 10000;
// Totals are kept as numbers rounded to cents; past this a double no longer
// holds every cent exactly.
constexpr double kMaxTotal = 1e13;
// Far above any real order, and far below where a quantity stops fitting the
// int64 it is kept as.
constexpr std::int64_t kMaxQuantity = 1000000000;

// Money is a number rounded to cents. Rounding the exact sum once (rather
// than every line) is what "total = Σ quantity × price, rounded to cents"
// says, and it keeps 3 × 0.1 at 0.3.
double round_to_cents(long double amount) {
  return static_cast<double>(std::llround(amount * 100.0L)) / 100.0;
}

std::string format_money(double amount) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", amount);
  return buf;
}

Json text_schema(int min_length, int max_length) {
  return {{"type", "string"}, {"minLength", min_length}, {"maxLength", max_length}};
}

Json item_schema() {
  return {{"type", "object"},
          {"required", {"product_id", "quantity", "price"}},
          {"properties",
           {{"product_id", text_schema(1, 200)},
            {"quantity", {{"type", "integer"}, {"minimum", 1}, {"maximum", kMaxQuantity}}},
            {"price", {{"type", "number"}, {"minimum", 0}}}}},
          {"additionalProperties", false}};
}

// A JSON number with no fractional part (JSON Schema's "integer" accepts 2.0).
bool is_whole_number(const Json& v) {
  if (v.is_number_integer()) return true;
  if (!v.is_number_float()) return false;
  const double d = v.get<double>();
  return std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9e15;
}

// Optional string fields: absent is fine, present must be a non-empty string.
void check_optional_text(const Json& data, const char* key, std::vector<std::string>& errors) {
  auto it = data.find(key);
  if (it == data.end()) return;
  if (!it->is_string() || it->get<std::string>().empty()) {
    errors.push_back(std::string(key) + " must be a non-empty string");
  }
}

// Copies the optional fields that are present from `data` into an event.
Json pick(const Json& data, std::initializer_list<const char*> keys) {
  Json out = Json::object();
  for (const char* key : keys) {
    if (auto it = data.find(key); it != data.end()) out[key] = *it;
  }
  return out;
}

// The items of a CreateOrder, checked and normalized (quantity as an integer,
// price as a number), and their total. Every problem goes to `errors`.
struct CheckedItems {
  Json items = Json::array();
  long double sum = 0;
};

CheckedItems check_items(const Json& data, std::int64_t max_items,
                         std::vector<std::string>& errors) {
  CheckedItems out;
  auto it = data.find("items");
  if (it == data.end()) {
    errors.push_back("items is required");
    return out;
  }
  if (!it->is_array()) {
    errors.push_back("items must be a list");
    return out;
  }
  if (it->empty()) {
    errors.push_back("an order needs at least one item");
    return out;
  }
  if (static_cast<std::int64_t>(it->size()) > max_items) {
    errors.push_back("an order has at most " + std::to_string(max_items) + " items (got " +
                     std::to_string(it->size()) + ")");
  }
  for (std::size_t i = 0; i < it->size(); ++i) {
    const Json& item = (*it)[i];
    const std::string at = "items[" + std::to_string(i) + "]";
    if (!item.is_object()) {
      errors.push_back(at + " must be an object with product_id, quantity and price");
      continue;
    }
    bool ok = true;
    auto product = item.find("product_id");
    if (product == item.end()) {
      errors.push_back(at + ".product_id is required");
      ok = false;
    } else if (!product->is_string() || product->get<std::string>().empty()) {
      errors.push_back(at + ".product_id must be a non-empty string");
      ok = false;
    }
    auto quantity = item.find("quantity");
    if (quantity == item.end()) {
      errors.push_back(at + ".quantity is required");
      ok = false;
    } else if (!is_whole_number(*quantity)) {
      errors.push_back(at + ".quantity must be a whole number");
      ok = false;
    } else if (quantity->get<double>() <= 0) {
      errors.push_back(at + ".quantity must be greater than 0 (got " + quantity->dump() + ")");
      ok = false;
    } else if (quantity->get<double>() > static_cast<double>(kMaxQuantity)) {
      // Compared as a double, which any JSON number converts to: the cast
      // to int64 below is only defined once the value is known to fit.
      errors.push_back(at + ".quantity must be at most " + std::to_string(kMaxQuantity) + " (got " +
                       quantity->dump() + ")");
      ok = false;
    }
    auto price = item.find("price");
    if (price == item.end()) {
      errors.push_back(at + ".price is required");
      ok = false;
    } else if (!price->is_number() || !std::isfinite(price->get<double>())) {
      errors.push_back(at + ".price must be a number");
      ok = false;
    } else if (price->get<double>() < 0) {
      errors.push_back(at + ".price must not be negative (got " + price->dump() + ")");
      ok = false;
    }
    if (!ok) continue;
    const auto q = static_cast<std::int64_t>(quantity->get<double>());
    const double p = price->get<double>();
    out.sum += static_cast<long double>(q) * p;
    out.items.push_back({{"product_id", *product}, {"quantity", q}, {"price", p}});
  }
  return out;
}

class OrderAggregate final : public Aggregate {
 public:
  explicit OrderAggregate(std::int64_t max_items) : max_items_(max_items) {}

  std::vector<CommandSpec> commands() const override {
    Json items = {{"type", "array"},
                  {"minItems", 1},
                  {"maxItems", max_items_},
                  {"items", item_schema()}};
    return {
        {"CreateOrder", "Places a new order for a user; the stream must be new.",
         {{"type", "object"},
          {"required", {"user_id", "items"}},
          {"properties", {{"user_id", text_schema(1, 200)}, {"items", std::move(items)}}},
          {"additionalProperties", false}}},
        {"PayOrder",
         "Records the payment of a created order. amount, when given, must equal the total.",
         {{"type", "object"},
          {"properties",
           {{"amount", {{"type", "number"}, {"minimum", 0}}},
            {"payment_id", text_schema(1, 200)}}},
          {"additionalProperties", false}}},
        {"ShipOrder", "Ships a paid order.",
         {{"type", "object"},
          {"properties", {{"carrier", text_schema(1, 200)}, {"tracking", text_schema(1, 200)}}},
          {"additionalProperties", false}}},
        {"CancelOrder", "Cancels an order that has not shipped.",
         {{"type", "object"},
          {"properties", {{"reason", text_schema(1, 500)}}},
          {"additionalProperties", false}}},
    };
  }

  std::vector<EventSpec> events() const override {
    return {
        {"OrderCreated", "An order was placed; total = Σ quantity × price, in cents.",
         {{"type", "object"},
          {"required", {"user_id", "items", "total"}},
          {"properties",
           {{"user_id", {{"type", "string"}}},
            {"items", {{"type", "array"}, {"minItems", 1}, {"items", item_schema()}}},
            {"total", {{"type", "number"}, {"minimum", 0}}}}}}},
        {"OrderPaid", "An order was paid.",
         {{"type", "object"},
          {"required", {"amount"}},
          {"properties",
           {{"amount", {{"type", "number"}, {"minimum", 0}}},
            {"payment_id", {{"type", "string"}}}}}}},
        {"OrderShipped", "A paid order was handed to a carrier.",
         {{"type", "object"},
          {"properties", {{"carrier", {{"type", "string"}}}, {"tracking", {{"type", "string"}}}}}}},
        {"OrderCancelled", "An order was cancelled before it shipped.",
         {{"type", "object"}, {"properties", {{"reason", {{"type", "string"}}}}}}},
    };
  }

  Json initial_state() const override {
    return {{"status", kNew}, {"user_id", nullptr}, {"items", Json::array()}, {"total", 0}};
  }

  Status apply(Json& state, const RecordedEvent& event) const override {
    const Json& d = event.data;
    const std::string at = format_timestamp(event.timestamp);
    if (event.type == "OrderCreated") {
      state["status"] = kCreated;
      state["user_id"] = d.value("user_id", Json());
      state["items"] = d.value("items", Json::array());
      state["total"] = d.value("total", Json(0));
      state["created_at"] = at;
    } else if (event.type == "OrderPaid") {
      state["status"] = kPaid;
      state["paid_amount"] = d.value("amount", state.value("total", Json(0)));
      if (d.contains("payment_id")) state["payment_id"] = d["payment_id"];
      state["paid_at"] = at;
    } else if (event.type == "OrderShipped") {
      state["status"] = kShipped;
      if (d.contains("carrier")) state["carrier"] = d["carrier"];
      if (d.contains("tracking")) state["tracking"] = d["tracking"];
      state["shipped_at"] = at;
    } else if (event.type == "OrderCancelled") {
      state["status"] = kCancelled;
      if (d.contains("reason")) state["cancel_reason"] = d["reason"];
      state["cancelled_at"] = at;
    } else {
      return Status::failed("Order aggregate cannot fold unknown event type '" + event.type + "'");
    }
    return Status::ok();
  }

  Decision decide(const AggregateState& current, const Command& command) const override {
    if (command.type == "CreateOrder") return create(current, command);
    if (command.type == "PayOrder") return pay(current, command);
    if (command.type == "ShipOrder") return ship(current, command);
    if (command.type == "CancelOrder") return cancel(current, command);
    return Decision::unknown_command();
  }

 private:
  static std::string status_of(const AggregateState& current) {
    if (!current.exists()) return kNew;
    auto it = current.state.find("status");
    return it != current.state.end() && it->is_string() ? it->get<std::string>() : kNew;
  }

  static std::string name(const Command& command) { return "order " + command.target.id; }

  Decision create(const AggregateState& current, const Command& command) const {
    const Json& data = command.data;
    std::vector<std::string> errors;
    if (current.exists()) errors.push_back(name(command) + " already exists");
    auto user = data.find("user_id");
    if (user == data.end()) {
      errors.push_back("user_id is required");
    } else if (!user->is_string() || user->get<std::string>().empty()) {
      errors.push_back("user_id must be a non-empty string");
    }
    CheckedItems items = check_items(data, max_items_, errors);
    // Checked before rounding: llround of a sum past the int64 range of
    // cents is undefined (it came out negative).
    if (errors.empty() && !(items.sum <= kMaxTotal)) {
      errors.push_back("the order total " + format_money(static_cast<double>(items.sum)) +
                       " is more than " + format_money(kMaxTotal));
    }
    if (!errors.empty()) return Decision::reject(std::move(errors));
    const double total = round_to_cents(items.sum);
    Json event = {{"user_id", *user}, {"items", std::move(items.items)}, {"total", total}};
    return Decision::accept({{"OrderCreated", std::move(event)}});
  }

  Decision pay(const AggregateState& current, const Command& command) const {
    const Json& data = command.data;
    std::vector<std::string> errors;
    const std::string status = status_of(current);
    if (status == kNew) {
      errors.push_back(name(command) + " does not exist");
    } else if (status == kPaid || status == kShipped) {
      errors.push_back(name(command) + " is already paid");
    } else if (status == kCancelled) {
      errors.push_back(name(command) + " is cancelled");
    }
    const double total = current.state.value("total", 0.0);
    Json event = pick(data, {"payment_id"});
    check_optional_text(data, "payment_id", errors);
    if (auto amount = data.find("amount"); amount == data.end()) {
      event["amount"] = total;
    } else if (!amount->is_number() || !std::isfinite(amount->get<double>()) ||
               amount->get<double>() < 0) {
      errors.push_back("amount must be a number of at least 0");
    } else if (status == kCreated && round_to_cents(amount->get<double>()) != total) {
      // A payment is for the whole order; a mismatch is a client bug or a
      // stale price, never something to record silently.
      errors.push_back("amount " + format_money(amount->get<double>()) +
                       " does not match the order total " + format_money(total));
    } else {
      event["amount"] = round_to_cents(amount->get<double>());
    }
    if (!errors.empty()) return Decision::reject(std::move(errors));
    event["user_id"] = current.state.value("user_id", Json());
    return Decision::accept({{"OrderPaid", std::move(event)}});
  }

  Decision ship(const AggregateState& current, const Command& command) const {
    std::vector<std::string> errors;
    const std::string status = status_of(current);
    if (status == kNew) {
      errors.push_back(name(command) + " does not exist");
    } else if (status == kCreated) {
      errors.push_back(name(command) + " is not paid yet");
    } else if (status == kShipped) {
      errors.push_back(name(command) + " is already shipped");
    } else if (status == kCancelled) {
      errors.push_back(name(command) + " is cancelled");
    }
    check_optional_text(command.data, "carrier", errors);
    check_optional_text(command.data, "tracking", errors);
    if (!errors.empty()) return Decision::reject(std::move(errors));
    Json event = pick(command.data, {"carrier", "tracking"});
    event["user_id"] = current.state.value("user_id", Json());
    return Decision::accept({{"OrderShipped", std::move(event)}});
  }

  Decision cancel(const AggregateState& current, const Command& command) const {
    std::vector<std::string> errors;
    const std::string status = status_of(current);
    if (status == kNew) {
      errors.push_back(name(command) + " does not exist");
    } else if (status == kShipped) {
      errors.push_back(name(command) + " is already shipped and can no longer be cancelled");
    } else if (status == kCancelled) {
      errors.push_back(name(command) + " is already cancelled");
    }
    check_optional_text(command.data, "reason", errors);
    if (!errors.empty()) return Decision::reject(std::move(errors));
    // The owner and the total travel with the event so read models (orders
    // per user) can account for it without loading the order.
    Json event = pick(command.data, {"reason"});
    event["user_id"] = current.state.value("user_id", Json());
    event["total"] = current.state.value("total", 0.0);
    return Decision::accept({{"OrderCancelled", std::move(event)}});
  }

  const std::int64_t max_items_;
};

}  // namespace

// The descriptor the loader reads: name, kind, versions, the option table
// (`herald plugins describe order` prints it) and the factory.
const PluginDescriptor& descriptor() {
  static const PluginDescriptor d = [] {
    PluginDescriptor p;
    p.name = "order";
    p.kind = PluginKind::kAggregate;
    p.version = "1.0.0";
    p.description =
        "Example aggregate: the seed's orders (created, paid, shipped, cancelled) in C++.";
    p.schema = {
        opt::integer("max_items", "Most line items one order may have.")
            .def(kDefaultMaxItems)
            .min(1)
            .max(kMaxItemsLimit),
    };
    // The gateway calls this once per `aggregates:` entry, on the main thread,
    // with the config checked against the schema and defaults filled in. Tests
    // may pass no config at all, hence the fallback.
    p.make_aggregate = [](const PluginContext& ctx) -> std::unique_ptr<Aggregate> {
      std::int64_t max_items = kDefaultMaxItems;
      if (ctx.config.is_object()) max_items = ctx.config.value("max_items", kDefaultMaxItems);
      if (max_items < 1 || max_items > kMaxItemsLimit) {
        throw ConfigError("max_items", "max_items must be between 1 and " +
                                           std::to_string(kMaxItemsLimit));
      }
      return std::make_unique<OrderAggregate>(max_items);
    };
    return p;
  }();
  return d;
}

}  // namespace herald::plugins::order

HERALD_PLUGIN(herald::plugins::order::descriptor)
