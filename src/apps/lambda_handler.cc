#include "apps/lambda_handler.h"

#include <nlohmann/json.hpp>

namespace spotbatch {
namespace {

// The messages of an SQS event ({"Records": [{"eventSource": "aws:sqs", "messageId", "body"},
// ...]}), or nothing when `doc` is not one.
bool IsSqsEvent(const nlohmann::json& doc) {
  if (!doc.is_object()) return false;
  auto records = doc.find("Records");
  if (records == doc.end() || !records->is_array() || records->empty()) return false;
  const nlohmann::json& first = records->front();
  return first.is_object() && first.value("eventSource", "") == "aws:sqs";
}

nlohmann::json Summary(const EventIngestReport& report) {
  return {{"objects", report.objects},
          {"created_jobs", report.created_jobs},
          {"skipped", report.skipped},
          {"notes", report.notes}};
}

LambdaOutcome Respond(nlohmann::json doc) {
  return {.ok = true, .body = doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
}

}  // namespace

LambdaOutcome HandleIngestInvocation(EventIngest& ingest, std::string_view event) {
  EventIngestReport report;
  const nlohmann::json doc = nlohmann::json::parse(event, nullptr, /*allow_exceptions=*/false);
  if (!IsSqsEvent(doc)) {
    Status handled = ingest.Handle(event, &report);
    if (handled.ok()) return Respond(Summary(report));
    return {
        .ok = false,
        .error_type = handled.retryable() ? "spotbatch.Unavailable" : "spotbatch.NotANotification",
        .error_message = handled.message().substr(0, 1000)};
  }
  nlohmann::json failures = nlohmann::json::array();
  for (const nlohmann::json& record : doc["Records"]) {
    const std::string id =
        record.is_object() && record.contains("messageId") && record["messageId"].is_string()
            ? record["messageId"].get<std::string>().substr(0, 128)
            : "";
    const bool has_body =
        record.is_object() && record.contains("body") && record["body"].is_string();
    Status handled = has_body ? ingest.Handle(record["body"].get_ref<const std::string&>(), &report)
                              : InvalidArgument("an SQS record without a body");
    if (handled.ok()) continue;
    if (report.notes.size() < 100) report.notes.push_back(id + ": " + handled.ToString());
    // Without a message id there is nothing to name: the whole batch comes back, harmlessly.
    if (id.empty()) {
      return {.ok = false,
              .error_type = "spotbatch.Unavailable",
              .error_message = "an SQS record to retry has no messageId"};
    }
    failures.push_back({{"itemIdentifier", id}});
  }
  nlohmann::json response = Summary(report);
  response["batchItemFailures"] = std::move(failures);
  return Respond(std::move(response));
}

}  // namespace spotbatch
