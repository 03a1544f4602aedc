// Transports: the gateway's edges to brokers and webhooks.
//
// A transport may be two things at once:
//   - an EventSink: a subscription on the global log. The gateway reads the
//     log from the sink's checkpoint and hands it batches in order; it saves
//     the checkpoint only past events the sink says were delivered (broker
//     confirm, webhook 2xx). A crash between delivery and checkpoint delivers
//     again, with the same event ids.
//   - a CommandSource: commands in from a broker, handed to the gateway's
//     CommandDispatcher, whose answer the source sends back (reply_to, ack).
#pragma once

#include <span>

#include "herald/command.h"
#include "herald/event.h"
#include "herald/status.h"

namespace herald {

struct DeliveryResult {
  // kOk: all events delivered. kRetry: the first `delivered` events were
  // delivered, the rest should be offered again after a back-off. kFailed:
  // events[delivered] cannot be delivered; the gateway parks it in dead
  // letters and goes on with the next one.
  Status status;
  std::size_t delivered = 0;
};

class EventSink {
 public:
  virtual ~EventSink() = default;
  // Called by the sink's subscription thread only, never concurrently with
  // itself, with events in global order that match the sink's filter.
  virtual DeliveryResult deliver(std::span<const RecordedEvent> events) = 0;
};

class CommandSource {
 public:
  virtual ~CommandSource() = default;
  // Main thread, once, after the store is open and aggregates are loaded. The
  // source starts its own threads and calls dispatcher.dispatch() from them.
  // The dispatcher outlives the source.
  virtual Status start(CommandDispatcher& dispatcher) = 0;
  // Main thread, once, at shutdown: stop taking commands, finish (or hand
  // back to the broker) those in flight, join threads.
  virtual void stop() = 0;
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Null when the transport has no such side. The pointers live as long as
  // the transport.
  virtual EventSink* sink() { return nullptr; }
  virtual CommandSource* source() { return nullptr; }
  // For /health/ready.
  virtual Status health() { return Status::ok(); }
};

}  // namespace herald
