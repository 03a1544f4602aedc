// Upcasters: old events meet new code without rewriting the log.
//
// An event carries its schema_version. When the gateway reads an event (to
// load an aggregate, to feed a projection or a transport) it runs the chain of
// upcasters that match the event's type and schema_version until none
// matches: v1 -> v2 -> v3. The log itself is never changed.
//
// Who calls what: the gateway makes upcasters at start (main thread, from an
// `upcasters:` entry with `plugin:`). upcast() is called from any thread,
// concurrently, and must be pure: same event in, same event out.
#pragma once

#include <string>

#include "herald/event.h"
#include "herald/status.h"

namespace herald {

struct UpcasterSpec {
  std::string event_type;  // the type as stored (before any rename)
  int from_version = 1;    // the schema_version it takes
};

class Upcaster {
 public:
  virtual ~Upcaster() = default;
  // Which events it takes. Called once at start.
  virtual UpcasterSpec handles() const = 0;
  // Rewrites `event` in place: its data, possibly its type, and its
  // schema_version, which must end higher than from_version (the gateway
  // refuses a chain that does not move forward). kFailed: the event cannot be
  // read; the reader stops with this message.
  virtual Status upcast(RecordedEvent& event) const = 0;
};

}  // namespace herald
