// An Aggregate whose commands, rules and folds come from YAML (see README.md).
//
// Stateless apart from the compiled Model, which is immutable: decide() and
// apply() are safe from any number of threads.
#pragma once

#include <memory>

#include "herald/aggregate.h"
#include "model.h"

namespace herald::plugins::declarative {

class DeclarativeAggregate final : public Aggregate {
 public:
  explicit DeclarativeAggregate(std::shared_ptr<const Model> model);

  std::vector<CommandSpec> commands() const override;
  std::vector<EventSpec> events() const override;
  Json initial_state() const override;
  int state_format() const override;
  Status apply(Json& state, const RecordedEvent& event) const override;
  Decision decide(const AggregateState& current, const Command& command) const override;

 private:
  std::shared_ptr<const Model> model_;
};

}  // namespace herald::plugins::declarative
