// A C++ upcaster written against the SDK, loaded as a plugin by the
// upcasting integration test: Legacy v1 {"n": "3"} -> Legacy v2 {"n": 3}
// (a string that became a number: something YAML upcasters cannot say).
#include <herald/herald.h>

namespace {

class StringToNumber final : public herald::Upcaster {
 public:
  explicit StringToNumber(std::string field) : field_(std::move(field)) {}
  herald::UpcasterSpec handles() const override { return {"Legacy", 1}; }
  herald::Status upcast(herald::RecordedEvent& e) const override {
    auto it = e.data.find(field_);
    if (it != e.data.end() && it->is_string()) {
      try {
        *it = std::stoll(it->get<std::string>());
      } catch (const std::exception&) {
        return herald::Status::failed(field_ + " is not a number: " + it->dump());
      }
    }
    e.schema_version = 2;
    return herald::Status::ok();
  }

 private:
  std::string field_;
};

const herald::PluginDescriptor& descriptor() {
  static const herald::PluginDescriptor d = [] {
    herald::PluginDescriptor p;
    p.name = "test-upcaster";
    p.kind = herald::PluginKind::kUpcaster;
    p.version = "1.0.0";
    p.description = "Test C++ upcaster: Legacy v1 string field to number.";
    p.schema = {herald::opt::string("field", "The field to convert.").req()};
    p.make_upcaster = [](const herald::PluginContext& ctx) {
      return std::make_unique<StringToNumber>(ctx.config.at("field").get<std::string>());
    };
    return p;
  }();
  return d;
}

}  // namespace

HERALD_PLUGIN(descriptor)
