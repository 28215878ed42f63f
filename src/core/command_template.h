// A pipeline's command line with its placeholders, parsed once and expanded in one pass.
//
// Each argument is split into literal text and placeholders ({input}, {output_dir},
// {checkpoint_dir}, {key}, {name}, {config_dir}) when the config is loaded; an attempt fills
// the placeholders in by appending values, so text that came from a value (an input key is
// untrusted) is never scanned for placeholders again.
//
// What counts as a placeholder: "{" + identifier + "}" (identifier: a letter or "_", then
// letters, digits, "_"). Any other brace is literal text, so shell and awk code passes
// through untouched ("${HOME}" too: a "{" right after "$" never opens a placeholder).
// "{{name}}" is the literal text "{name}".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "spotbatch/status.h"

namespace spotbatch {

enum class Placeholder { kInput, kOutputDir, kCheckpointDir, kKey, kName, kConfigDir };
constexpr int kPlaceholderCount = 6;

// The value of every placeholder for one attempt, indexed by Placeholder.
struct PlaceholderValues {
  std::string_view values[kPlaceholderCount];
  std::string_view& operator[](Placeholder p) { return values[static_cast<int>(p)]; }
  std::string_view operator[](Placeholder p) const { return values[static_cast<int>(p)]; }
};

class CommandTemplate {
 public:
  // Parses `argv`. kInvalidArgument for an empty argv, an empty program name, or an unknown
  // placeholder; the message starts with "[index]: " of the argument (also in *bad_arg when
  // given) and names the placeholder and the known ones.
  static Result<CommandTemplate> Parse(const std::vector<std::string>& argv,
                                       size_t* bad_arg = nullptr);

  // The argv of one attempt: every placeholder replaced by its value, nothing rescanned.
  std::vector<std::string> Expand(const PlaceholderValues& values) const;
  size_t size() const { return args_.size(); }

 private:
  struct Part {
    int placeholder;      // -1: literal text
    std::string literal;  // when placeholder < 0
  };
  std::vector<std::vector<Part>> args_;
};

}  // namespace spotbatch
