// Projections: read models fed from the global log, answering queries.
//
// Who calls what:
//   - The gateway makes one Projection per `projections:` entry at start (main
//     thread), and more during a rebuild (a fresh instance is built from
//     position 0 beside the live one, then swapped in).
//   - apply() is called by the projection's subscription thread only, one
//     event at a time, in global position order, with only the events that
//     match the projection's `from:` filter. At least once: after a crash the
//     same event may come again, so apply() of an event at or below
//     position() must be a no-op.
//   - get() and query() are called from HTTP threads, concurrently with
//     apply(): an implementation guards its data.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "herald/event.h"
#include "herald/status.h"

namespace herald {

struct Query {
  std::size_t limit = 50;
  std::size_t offset = 0;
  std::string sort;                          // field name; empty: by id
  bool descending = false;
  std::map<std::string, std::string> equals;  // field -> value, all must match
  std::string text;                           // case-insensitive search (q=)
};

struct QueryPage {
  std::vector<Json> items;
  std::size_t total = 0;  // matches before limit/offset
};

class Projection {
 public:
  virtual ~Projection() = default;

  // Subscription thread. kRetry: the gateway calls again with the same event
  // after a back-off. kFailed: the subscription stops and reports where.
  virtual Status apply(const RecordedEvent& event) = 0;

  // The position of the last event applied (0: none). Any thread.
  virtual Position position() const = 0;

  // True when the model survives restarts on its own (a Redis backend keeps
  // its checkpoint with its data); false: rebuilt from the log at start.
  virtual bool persistent() const { return false; }

  // HTTP threads.
  virtual Result<std::optional<Json>> get(const std::string& id) const = 0;
  virtual Result<QueryPage> query(const Query& query) const = 0;
};

}  // namespace herald
