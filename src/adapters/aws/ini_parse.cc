#include "adapters/aws/ini_parse.h"

#include <algorithm>

namespace spotbatch {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
  return s;
}

// `s` (trimmed) up to a comment that follows whitespace, trimmed again.
std::string_view StripComment(std::string_view s) {
  for (size_t i = 1; i < s.size(); ++i) {
    if ((s[i] == '#' || s[i] == ';') && IsBlank(s[i - 1])) return Trim(s.substr(0, i));
  }
  return s;
}

Status LineError(int line, const std::string& problem) {
  return InvalidArgument("line " + std::to_string(line) + ": " + problem);
}

}  // namespace

Result<IniSections> ParseIni(std::string_view text) {
  if (text.size() > kMaxIniBytes) return LineError(0, "the file is over 1 MiB");
  if (text.find('\0') != std::string_view::npos) return LineError(0, "the file holds a NUL byte");
  IniSections out;
  std::map<std::string, std::string>* section = nullptr;
  std::string* value = nullptr;  // the last key's, which an indented line continues
  int number = 0;
  while (!text.empty()) {
    const size_t eol = text.find('\n');
    const std::string_view raw = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    ++number;
    const std::string_view line = Trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (value != nullptr && IsBlank(raw.front())) {
      value->append("\n").append(StripComment(line));
      continue;
    }
    if (line.front() == '[') {
      const size_t close = line.find(']');
      if (close == std::string_view::npos) return LineError(number, "a section name without ']'");
      const std::string_view rest = Trim(line.substr(close + 1));
      if (!rest.empty() && rest.front() != '#' && rest.front() != ';') {
        return LineError(number, "text after the section name's ']'");
      }
      const std::string_view name = Trim(line.substr(1, close - 1));
      if (name.empty()) return LineError(number, "an empty section name");
      section = &out[std::string(name)];
      value = nullptr;
      continue;
    }
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return LineError(number, "neither a [section] nor a key = value line");
    }
    if (section == nullptr) return LineError(number, "a key before any [section]");
    std::string key(Trim(line.substr(0, eq)));
    if (key.empty()) return LineError(number, "an empty key");
    std::transform(key.begin(), key.end(), key.begin(), [](char c) {
      return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    });
    value = &(*section)[key];
    *value = StripComment(Trim(line.substr(eq + 1)));
  }
  return out;
}

std::string FormatIni(const IniSections& sections) {
  std::string out;
  for (const auto& [name, keys] : sections) {
    out += "[" + name + "]\n";
    for (const auto& [key, value] : keys) {
      // The first line after "key = ", each further one indented: a continuation.
      size_t start = 0;
      for (size_t end; (end = value.find('\n', start)) != std::string::npos; start = end + 1) {
        out += (start == 0 ? key + " = " : "\t") + value.substr(start, end - start) + "\n";
      }
      out += (start == 0 ? key + " = " : "\t") + value.substr(start) + "\n";
    }
  }
  return out;
}

}  // namespace spotbatch
