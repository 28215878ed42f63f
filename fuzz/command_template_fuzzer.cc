// The command template (core/command_template.h): placeholders are filled in one pass, values
// go in verbatim and are never scanned again, refusals name the argument.
//
// Input: lines. Up to the first empty line, one argument per line ("\r": an empty one); after it,
// up to six lines of placeholder values ({input}, {output_dir}, {checkpoint_dir}, {key}, {name},
// {config_dir}); missing values are placeholders' names themselves, so that a value that
// looks like a placeholder is always tried.
#include <array>
#include <vector>

#include "core/command_template.h"
#include "fuzz_check.h"

namespace spotbatch {
namespace {

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    out.push_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return out;
}

// Replaces every marker in `s` by its value, left to right, in one pass.
std::string Substitute(std::string_view s, const std::array<std::string, kPlaceholderCount>& from,
                       const PlaceholderValues& to) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    bool replaced = false;
    for (int p = 0; p < kPlaceholderCount; ++p) {
      if (s.substr(i).starts_with(from[p])) {
        out += to.values[p];
        i += from[p].size();
        replaced = true;
        break;
      }
    }
    if (!replaced) out += s[i++];
  }
  return out;
}

void Check(const std::vector<std::string>& argv, const PlaceholderValues& values) {
  size_t bad = SIZE_MAX;
  const Result<CommandTemplate> t = CommandTemplate::Parse(argv, &bad);
  if (!t.ok()) {
    FUZZ_CHECK(t.status().code() == StatusCode::kInvalidArgument);
    if (argv.empty()) return;
    // Refusals name the argument: in the message and in *bad_arg.
    FUZZ_CHECK_MSG(bad < argv.size(), t.status().message());
    const std::string head = "[" + std::to_string(bad) + "]: ";
    FUZZ_CHECK_MSG(t.status().message().starts_with(head), t.status().message());
    if (argv[bad].empty()) {
      FUZZ_CHECK(bad == 0 && t.status().message().find("empty") != std::string::npos);
    } else {
      // Only an argument with a brace can hold an unknown placeholder.
      FUZZ_CHECK(argv[bad].find('{') != std::string::npos);
      FUZZ_CHECK(t.status().message().find("unknown placeholder") != std::string::npos);
    }
    return;
  }
  FUZZ_CHECK(!argv.empty() && !argv[0].empty());
  FUZZ_CHECK(t->size() == argv.size());

  const std::vector<std::string> expanded = t->Expand(values);
  FUZZ_CHECK(expanded.size() == argv.size());
  for (size_t i = 0; i < argv.size(); ++i) {
    // Text without a brace is taken as it is.
    if (argv[i].find('{') == std::string::npos) FUZZ_CHECK(expanded[i] == argv[i]);
  }

  // One pass, values verbatim: expand with markers made of a byte that occurs nowhere in the
  // arguments or values; putting the values in place of the markers afterwards must give
  // exactly what expanding with the values gave. A value that was scanned again (or changed
  // in any way) would differ.
  std::array<bool, 256> used{};
  for (const std::string& a : argv) {
    for (const char c : a) used[static_cast<unsigned char>(c)] = true;
  }
  for (const std::string_view v : values.values) {
    for (const char c : v) used[static_cast<unsigned char>(c)] = true;
  }
  int free_byte = -1;
  for (int c = 1; c < 256 && free_byte < 0; ++c) {
    if (!used[c]) free_byte = c;
  }
  if (free_byte < 0) return;  // every byte is used: no marker can be told apart
  std::array<std::string, kPlaceholderCount> markers;
  PlaceholderValues marked;
  PlaceholderValues empty;
  for (int p = 0; p < kPlaceholderCount; ++p) {
    markers[p] = {static_cast<char>(free_byte), static_cast<char>('0' + p),
                  static_cast<char>(free_byte)};
    marked.values[p] = markers[p];
  }
  const std::vector<std::string> with_markers = t->Expand(marked);
  const std::vector<std::string> without = t->Expand(empty);
  for (size_t i = 0; i < argv.size(); ++i) {
    FUZZ_CHECK_MSG(Substitute(with_markers[i], markers, values) == expanded[i], argv[i]);
    FUZZ_CHECK(Substitute(with_markers[i], markers, empty) == without[i]);
    // Expanding never adds text of its own: the literal parts come from the argument.
    FUZZ_CHECK(without[i].size() <= argv[i].size());
  }
}

}  // namespace
}  // namespace spotbatch

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace spotbatch;
  if (size > 16 * 1024) return -1;
  const std::vector<std::string_view> lines = Lines(fuzz::AsText(data, size));
  std::vector<std::string> argv;
  size_t i = 0;
  // A line "\r" is an empty argument (an empty line ends the arguments).
  for (; i < lines.size() && !lines[i].empty(); ++i) {
    argv.emplace_back(lines[i] == "\r" ? std::string_view() : lines[i]);
  }
  ++i;  // the empty line
  static constexpr std::string_view kDefaults[kPlaceholderCount] = {
      "{input}", "{output_dir}", "{{checkpoint_dir}}", "{key}", "{name}}", "${config_dir}"};
  PlaceholderValues values;
  for (int p = 0; p < kPlaceholderCount; ++p, ++i) {
    values.values[p] = i < lines.size() ? lines[i] : kDefaults[p];
  }
  Check(argv, values);
  // Values drawn from the arguments themselves: a value equal to a placeholder's text.
  if (!argv.empty()) {
    PlaceholderValues echo;
    for (int p = 0; p < kPlaceholderCount; ++p) echo.values[p] = argv[p % argv.size()];
    Check(argv, echo);
  }
  return 0;
}
