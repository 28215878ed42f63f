#include "agent/event_ingest.h"

#include <algorithm>

namespace spotbatch {
namespace {

constexpr size_t kMaxNotes = 100;
// A message whose objects could not all be ingested comes back after this (SQS: a visibility
// change), not at once: the store or the state store that failed needs a moment.
constexpr int64_t kRetryDelayMillis = 5000;

void Note(EventIngestReport* report, std::string note) {
  if (report->notes.size() < kMaxNotes) report->notes.push_back(std::move(note));
}

}  // namespace

EventIngest::EventIngest(Ingest& ingest, const PipelineSpec& pipeline, ObjectStore& store,
                         TaskQueue& queue, std::string events, NotificationDecoder decode)
    : ingest_(ingest),
      pipeline_(pipeline),
      store_(store),
      queue_(queue),
      events_(std::move(events)),
      decode_(std::move(decode)) {}

Status EventIngest::IngestKey(const std::string& key, EventIngestReport* report) {
  ++report->objects;
  if (!key.starts_with(pipeline_.input_prefix)) {
    ++report->skipped;
    return Status::Ok();
  }
  Result<ObjectInfo> info = store_.Stat(key);
  if (info.status().code() == StatusCode::kNotFound) {  // deleted since: nothing to start
    ++report->skipped;
    return Status::Ok();
  }
  SB_RETURN_IF_ERROR(info.status());
  bool created = false;
  SB_RETURN_IF_ERROR(ingest_.IngestObject(*info, &created).status());
  report->created_jobs += created;
  return Status::Ok();
}

Status EventIngest::Handle(std::string_view body, EventIngestReport* report) {
  Result<CreatedObjects> objects = decode_(body);
  if (!objects.ok()) {
    Note(report, "not a notification: " + objects.status().message());
    return InvalidArgument("not a notification: " + objects.status().message());
  }
  for (const std::string& why : objects->dropped) Note(report, "dropped: " + why);
  for (const std::string& key : objects->keys) {
    Status failed = IngestKey(key, report);
    if (failed.retryable()) return failed;
    if (!failed.ok()) {  // this key never will be (an invalid one): the others still are
      Note(report, "skipped " + key + ": " + failed.ToString());
      ++report->skipped;
    }
  }
  return Status::Ok();
}

Result<EventIngestReport> EventIngest::Poll(int max_messages, int64_t lease_millis) {
  EventIngestReport report;
  std::vector<std::string> done;  // receipts of messages handled in full
  Status leased = Status::Ok();
  while (report.messages < max_messages) {
    // Up to ten a receive (SQS's most): one request for a burst of uploads, not one each.
    const int want = std::min(max_messages - report.messages, TaskQueue::kMaxLeaseBatch);
    Result<std::vector<QueueMessage>> batch = queue_.LeaseBatch(events_, want, lease_millis);
    if (!batch.ok()) {
      leased = batch.status();
      break;
    }
    if (batch->empty()) break;
    for (const QueueMessage& message : *batch) {
      ++report.messages;
      Status handled = Handle(message.body, &report);
      if (handled.ok()) {
        done.push_back(message.receipt);
      } else if (handled.retryable()) {
        // The message comes back for a later poll; one that fails every time reaches the
        // queue's delivery limit and its dead-letter queue.
        Note(&report, "released for a retry: " + handled.ToString());
        if (queue_.Release(message.receipt, kRetryDelayMillis).ok()) ++report.released;
      } else if (queue_.DeadLetter(message.receipt).ok()) {
        ++report.dead_lettered;
      }
    }
  }
  // One round trip for the handled ones (those of a poll cut short by a failed lease too); a
  // receipt gone stale (the lease ran out meanwhile) is skipped, and its message handled
  // again harmlessly.
  if (!done.empty()) SB_RETURN_IF_ERROR(queue_.DeleteBatch(done));
  SB_RETURN_IF_ERROR(leased);
  return report;
}

}  // namespace spotbatch
