#include "apps/s3_notifications.h"

#include "adapters/aws/s3_event.h"

namespace spotbatch {

Result<CreatedObjects> DecodeS3Notification(std::string_view body) {
  SB_ASSIGN_OR_RETURN(S3Event event, ParseS3Event(body));
  CreatedObjects out;
  out.keys.reserve(event.created.size());
  for (const S3CreatedObject& o : event.created) out.keys.push_back(o.bucket + "/" + o.key);
  out.dropped = std::move(event.malformed);
  return out;
}

}  // namespace spotbatch
