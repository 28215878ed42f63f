// EventIngest: starts jobs from upload notifications on a queue, as the reference
// architecture's Lambda function does with S3 events: the bucket notifies a queue, and `up`
// (or `spotbatch lambda`) turns each created object into a job exactly as `put` does.
//
// A notification only says which key changed: the object's current version is read from the
// store (Stat) and ingested with its own ETag, so a duplicate notification, one that arrives
// after a newer one, or one for an object deleted since, starts no second or stale job
// (Ingest's job id is the key and ETag). A message is deleted once every object it names is
// ingested or known to need nothing; when the store or the state store fails with a
// retryable error it is released to come back later (nothing is lost); a key that can never
// be ingested (one the store refuses) is noted and skipped; a body that is no notification at
// all goes to the dead-letter queue, where it can be inspected, and harms nothing else.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/ingest.h"
#include "spotbatch/object_store.h"
#include "spotbatch/task_queue.h"

namespace spotbatch {

// A notification decoded: the store keys of the objects it says were created, and why each
// part that could not be read was dropped. Failing means the body is no notification at all.
struct CreatedObjects {
  std::vector<std::string> keys;
  std::vector<std::string> dropped;
};
// The format's decoder (S3's: adapters/aws/s3_event.h), given by whoever wires the queue.
using NotificationDecoder = std::function<Result<CreatedObjects>(std::string_view body)>;

struct EventIngestReport {
  int messages = 0;      // leased by this call
  int created_jobs = 0;  // jobs this call made
  int objects = 0;       // created objects named by the notifications
  int skipped = 0;       // of those, outside the input prefix, gone since or refused
  int released = 0;      // messages handed back after a retryable failure
  int dead_lettered = 0;
  // Why parts of notifications were dropped, and what was dead-lettered or released: for the
  // log, at most 100.
  std::vector<std::string> notes;
};

class EventIngest {
 public:
  // Everything must outlive this. `events`: the queue the bucket notifies.
  EventIngest(Ingest& ingest, const PipelineSpec& pipeline, ObjectStore& store, TaskQueue& queue,
              std::string events, NotificationDecoder decode);

  // Leases up to `max_messages` notifications (each for `lease_millis`) and handles them as
  // the header says. Fails only when the queue cannot be read; every other failure is in the
  // report (and the message it concerns comes back later).
  Result<EventIngestReport> Poll(int max_messages, int64_t lease_millis);

  // Handles one notification `body` (what Poll does with each message, and `spotbatch lambda`
  // with each invocation), counting it in `report`. OK when every object it names is ingested
  // or needs nothing; a retryable status when it must be handled again later (nothing of it
  // is lost: ingesting twice is harmless); kInvalidArgument when the body is no notification.
  Status Handle(std::string_view body, EventIngestReport* report);

 private:
  // Ingests the current version of `key`, counting it in `report`; OK too when there is
  // nothing to do (outside the input prefix, or gone since). The store's or the state
  // store's error otherwise (retryable: try the message again later).
  Status IngestKey(const std::string& key, EventIngestReport* report);

  Ingest& ingest_;
  const PipelineSpec& pipeline_;
  ObjectStore& store_;
  TaskQueue& queue_;
  const std::string events_;
  const NotificationDecoder decode_;
};

}  // namespace spotbatch
