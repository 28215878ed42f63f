// The text forms of a task's list fields, as the state stores keep them (a SQLite column, a
// DynamoDB attribute): one line per entry, fields separated by tabs. Keys and upload ids hold
// no control bytes (object keys are checked; the worker records no upload id that has one),
// so neither separator can occur inside a field.
//
// Decoding reads what a store gave back, which is not trusted: anything but the exact form
// is refused, and nothing is decoded in part.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "spotbatch/model.h"

namespace spotbatch {

// "staging\tfinal\n" per output.
std::string EncodeOutputs(const std::vector<OutputFile>& outputs);
// False (and `*out` empty) unless `text` is exactly what EncodeOutputs gives.
bool DecodeOutputs(std::string_view text, std::vector<OutputFile>* out);

// "final\tstaging\tupload id\tpart size\n" per upload.
std::string EncodePendingUploads(const std::vector<PendingUpload>& uploads);
// False (and `*out` empty) unless `text` is exactly what EncodePendingUploads gives for
// uploads with non-empty keys and ids and a part size of at most 5 GiB.
bool DecodePendingUploads(std::string_view text, std::vector<PendingUpload>* out);

// Whether `upload` can be recorded: its fields are not empty and hold no control bytes.
bool IsRecordable(const PendingUpload& upload);

}  // namespace spotbatch
