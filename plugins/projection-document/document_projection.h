// DocumentProjection: the `document` projection. A read model of JSON
// documents keyed by id, changed by declarative rules per event type (see
// document_config.h) and answering get-by-id, list, filter and search.
//
// Who calls what (see herald/projection.h for the contract):
//   - The factory builds it on the main thread from a compiled config.
//   - apply() from the projection's subscription thread only, in global
//     position order, at least once: an event at or below position() is a
//     no-op. apply() never fails on event content: an event without a usable
//     document id, or an operation whose value has the wrong type, is left
//     out, counted in stats() and logged (the first few, then one in 10,000),
//     so one odd event cannot stop the read model.
//   - get(), query(), size(), stats() and position() from any thread,
//     concurrently with apply(): readers share a lock that apply() takes
//     exclusively only while it changes one document; a waiting apply() goes
//     before readers that come after it (writer_priority_mutex.h), so busy
//     queries cannot make the read model lag.
//
// Kept in memory only (persistent() is false): the gateway rebuilds it from
// the log at start.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>

#include "document_config.h"
#include "herald/projection.h"
#include "writer_priority_mutex.h"

namespace spdlog {
class logger;
}

namespace herald::plugins::document {

// Separates fields in a document's search text. A query's text that holds
// it (q=brown%1Fcharlie) matches nothing, so a match never spans two fields.
inline constexpr char kSearchFieldSeparator = '\x1f';

struct DocumentStats {
  std::uint64_t applied = 0;     // events that changed, made or deleted a document
  std::uint64_t duplicates = 0;  // at or below position(): already applied
  std::uint64_t unhandled = 0;   // no rule for the event's type
  std::uint64_t skipped = 0;     // no usable id, or upsert: false and no document
  std::uint64_t warnings = 0;    // problems logged: an operation left out (a value of
                                 // the wrong type) or an event skipped for want of an id
};

class DocumentProjection final : public Projection {
 public:
  // `logger` may be null: spdlog's default logger is used then.
  DocumentProjection(std::shared_ptr<const DocumentConfig> config,
                     std::shared_ptr<spdlog::logger> logger);
  DocumentProjection(const DocumentProjection&) = delete;
  DocumentProjection& operator=(const DocumentProjection&) = delete;

  Status apply(const RecordedEvent& event) override;
  Position position() const override { return position_.load(std::memory_order_acquire); }

  // The document with its id as "id"; nullopt when there is none.
  Result<std::optional<Json>> get(const std::string& id) const override;
  // Filters (equals, text), sorts, pages; see README.md for the semantics.
  // Never fails: a malformed field name is a field no document has.
  Result<QueryPage> query(const Query& query) const override;

  std::size_t size() const;
  DocumentStats stats() const;

 private:
  struct Document;
  using Entry = std::pair<const std::string, Document>;

  // The documents in the order of the configured `sort` field, so the
  // default list needs no sort and a page is a walk to its offset. Only the
  // configured field has one: a query that sorts by another field scans and
  // sorts its matches.
  struct SortEntry {
    SortKey key;         // the field's value when indexed
    const Entry* entry;  // std::map nodes never move
  };
  // Ascending: present values by compare_values, then missing ones; ties by
  // id. FirstMissing finds where the missing ones start.
  struct FirstMissing {};
  struct SortLess {
    using is_transparent = void;
    bool operator()(const SortEntry& a, const SortEntry& b) const;
    bool operator()(const SortEntry& a, FirstMissing) const {
      return a.key.rank != SortKey::kMissing;
    }
    bool operator()(FirstMissing, const SortEntry&) const { return false; }
  };
  using SortIndex = std::set<SortEntry, SortLess>;

  struct Document {
    Json body;                          // the document, "id" included
    std::string search_text;            // lower-cased search fields, for q= without re-folding
    SortIndex::iterator sort_position;  // its entry in sort_index_ (when configured)
  };
  using Documents = std::map<std::string, Document, std::less<>>;
  // documents_ by id: one hash probe where the tree walks ~log2(n) cold
  // nodes comparing strings, for every event applied and every get. The
  // keys are views of the map's own keys (std::map nodes never move).
  using ById = std::unordered_map<std::string_view, Documents::iterator>;
  Documents::iterator find_document(std::string_view id);
  Documents::const_iterator find_document(std::string_view id) const;
  Documents::iterator add_document(std::string id, Json body);
  void remove_document(Documents::iterator it);

  SortKey sort_key_of(const Json& body) const;
  void apply_rule(const Rule& rule, const RecordedEvent& event, Json& body);
  void add_number(const Assignment& a, const RecordedEvent& event, Json& body, bool subtract);
  std::string search_text_of(const Json& body) const;
  void warn(const RecordedEvent& event, const std::string& what);

  const std::shared_ptr<const DocumentConfig> config_;
  const std::shared_ptr<spdlog::logger> logger_;

  mutable WriterPriorityMutex mutex_;  // documents_ and stats_
  Documents documents_;
  ById by_id_;            // the same documents; changed only with documents_
  SortIndex sort_index_;  // empty when no `sort` is configured
  DocumentStats stats_;
  std::atomic<Position> position_{0};
};

}  // namespace herald::plugins::document
