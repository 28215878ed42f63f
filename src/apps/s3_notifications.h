// S3 event notifications as EventIngest reads them (agent/event_ingest.h): the decoder that
// the wiring gives it for an `[ingest] events` queue that a bucket notifies.
#pragma once

#include <string_view>

#include "agent/event_ingest.h"

namespace spotbatch {

// ParseS3Event (adapters/aws/s3_event.h), each created object as its store key
// "bucket/key"; its malformed records and ignored kinds are dropped with why. Fails as
// ParseS3Event does, for a body that is no S3 event at all.
Result<CreatedObjects> DecodeS3Notification(std::string_view body);

}  // namespace spotbatch
