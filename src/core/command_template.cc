#include "core/command_template.h"

namespace spotbatch {
namespace {

constexpr std::string_view kNames[kPlaceholderCount] = {"input", "output_dir", "checkpoint_dir",
                                                        "key",   "name",       "config_dir"};

bool IsIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsIdent(char c) { return IsIdentStart(c) || (c >= '0' && c <= '9'); }

// Length of the identifier at s[pos], 0 when none starts there.
size_t IdentifierAt(std::string_view s, size_t pos) {
  if (pos >= s.size() || !IsIdentStart(s[pos])) return 0;
  size_t end = pos + 1;
  while (end < s.size() && IsIdent(s[end])) ++end;
  return end - pos;
}

std::string KnownList() {
  std::string out;
  for (std::string_view n : kNames) {
    if (!out.empty()) out += ", ";
    out += "{" + std::string(n) + "}";
  }
  return out;
}

}  // namespace

Result<CommandTemplate> CommandTemplate::Parse(const std::vector<std::string>& argv,
                                               size_t* bad_arg) {
  if (argv.empty()) return InvalidArgument("the command is empty");
  auto refuse = [&](size_t i, const std::string& problem) {
    if (bad_arg != nullptr) *bad_arg = i;
    return InvalidArgument("[" + std::to_string(i) + "]: " + problem);
  };
  if (argv[0].empty()) return refuse(0, "the program name is empty");
  CommandTemplate t;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string_view arg = argv[i];
    std::vector<Part> parts;
    std::string literal;
    size_t pos = 0;
    while (pos < arg.size()) {
      const char c = arg[pos];
      if (c != '{' || (pos > 0 && arg[pos - 1] == '$')) {
        literal.push_back(c);
        ++pos;
        continue;
      }
      // "{{name}}": the literal "{name}".
      if (pos + 1 < arg.size() && arg[pos + 1] == '{') {
        const size_t n = IdentifierAt(arg, pos + 2);
        if (n > 0 && arg.substr(pos + 2 + n, 2) == "}}") {
          literal += "{";
          literal += arg.substr(pos + 2, n);
          literal += "}";
          pos += n + 4;
          continue;
        }
        literal.push_back(c);
        ++pos;
        continue;
      }
      const size_t n = IdentifierAt(arg, pos + 1);
      if (n == 0 || pos + 1 + n >= arg.size() || arg[pos + 1 + n] != '}') {
        literal.push_back(c);  // not a placeholder: a literal brace
        ++pos;
        continue;
      }
      const std::string_view name = arg.substr(pos + 1, n);
      int found = -1;
      for (int p = 0; p < kPlaceholderCount; ++p) {
        if (kNames[p] == name) found = p;
      }
      if (found < 0) {
        return refuse(i, "unknown placeholder {" + std::string(name) + "} (known: " + KnownList() +
                             "; write {{" + std::string(name) + "}} for the literal text)");
      }
      if (!literal.empty()) parts.push_back({-1, std::move(literal)});
      literal.clear();
      parts.push_back({found, {}});
      pos += n + 2;
    }
    if (!literal.empty() || parts.empty()) parts.push_back({-1, std::move(literal)});
    t.args_.push_back(std::move(parts));
  }
  return t;
}

std::vector<std::string> CommandTemplate::Expand(const PlaceholderValues& values) const {
  std::vector<std::string> argv;
  argv.reserve(args_.size());
  for (const std::vector<Part>& parts : args_) {
    std::string& a = argv.emplace_back();
    for (const Part& part : parts) {
      if (part.placeholder < 0) {
        a += part.literal;
      } else {
        a += values.values[part.placeholder];
      }
    }
  }
  return argv;
}

}  // namespace spotbatch
