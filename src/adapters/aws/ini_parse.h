// The INI format of AWS's shared credentials and config files (~/.aws/credentials,
// ~/.aws/config), parsed. Pure functions (no I/O), kept apart from the chain that reads the
// files so that they can be tested and fuzzed on their own: a user's file is untrusted input.
//
// The rules, those of the AWS SDKs' shared-file format:
// - Lines end with LF or CRLF. Blank lines, and lines whose first non-blank byte is '#' or
//   ';', are comments.
// - "[NAME]" opens a section (NAME trimmed, case kept: profile names are case-sensitive); a
//   comment may follow the ']'. A section named twice is one section: its keys are merged.
// - "key = value" sets a key of the current section: split at the first '=' (a value may hold
//   '=', as base64 session tokens do); key and value trimmed; keys lowercased (AWS reads
//   AWS_ACCESS_KEY_ID as aws_access_key_id); a key set twice keeps the last value. A value
//   ends before " #" or " ;" (a comment after whitespace); '#' and ';' inside it stay.
// - An indented line after a key continues its value (botocore's nested "s3 =" settings): it
//   is appended, trimmed, after a '\n'.
// Refused: a key before any section, a line that is neither, an empty section name or key,
// a file over kMaxIniBytes or with a NUL byte. Errors name the line, never quote it: a
// malformed line may hold a secret.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "spotbatch/status.h"

namespace spotbatch {

inline constexpr size_t kMaxIniBytes = 1024 * 1024;

// Section name -> key -> value.
using IniSections = std::map<std::string, std::map<std::string, std::string>>;

// The sections of `text`. kInvalidArgument "line N: PROBLEM" for a refused file (line 0 for
// the whole file: too big, a NUL byte).
Result<IniSections> ParseIni(std::string_view text);

// `sections` written in the format ParseIni reads, so that it reads them back equal, provided
// each name and key is what ParseIni can return (trimmed, no ']' in a name; lowercase keys
// without '=', not starting with '[', '#' or ';'; no empty key or name) and each value line is
// trimmed with no " #" or " ;". What the fuzz target's round trip writes.
std::string FormatIni(const IniSections& sections);

}  // namespace spotbatch
