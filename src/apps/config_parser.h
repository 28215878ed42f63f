// The TOML reader behind LoadConfig (config.h): typed getters that refuse a wrong value with
// "FILE:LINE: key: problem". Internal to src/apps/config*.cc.
#pragma once

#include <toml++/toml.h>

#include <filesystem>
#include <optional>
#include <set>
#include <string>

#include "apps/config.h"
#include "core/object_key.h"
#include "core/task_order.h"
#include "spotbatch/status.h"

namespace spotbatch::config_internal {

// Sections of the configuration that this build does not implement yet: refused clearly, not
// ignored.
inline const std::set<std::string> kNotYet = {"server.s3_listen", "server.s3_keys",
                                              "pipeline.split", "pipeline.stitch"};

class Parser {
 public:
  Parser(std::string file, std::string dir) : file_(std::move(file)), dir_(std::move(dir)) {}

  Status Error(const toml::node* node, const std::string& key, const std::string& problem) const {
    const int line = node ? static_cast<int>(node->source().begin.line) : 1;
    return InvalidArgument(file_ + ":" + std::to_string(line) + ": " + key + ": " + problem);
  }

  // Refuses keys of `table` that are not in `known` (sub-tables listed as "name.").
  Status OnlyKnown(const toml::table& table, const std::string& prefix,
                   const std::set<std::string>& known) const {
    for (const auto& [k, node] : table) {
      const std::string key =
          prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
      if (kNotYet.count(key)) {
        return Error(&node, key, "this section is not supported by this build yet");
      }
      if (!known.count(std::string(k.str()))) return Error(&node, key, "unknown key");
    }
    return Status::Ok();
  }

  Result<const toml::table*> Table(const toml::table& root, const std::string& name) const {
    const toml::node* node = root.get(name);
    if (node == nullptr) return static_cast<const toml::table*>(nullptr);
    if (!node->is_table()) return Error(node, name, "must be a table ([" + name + "])");
    return node->as_table();
  }

  Status String(const toml::table* t, const std::string& section, const char* key,
                std::string* out) const {
    const toml::node* node = t ? t->get(key) : nullptr;
    if (node == nullptr) return Status::Ok();
    if (!node->is_string()) return Error(node, section + "." + key, "must be a string");
    // TOML can spell a NUL ("\u0000"); every string here ends up a path, a name or an
    // address handed to the system as a C string, which a NUL would silently cut short.
    if (node->as_string()->get().find('\0') != std::string::npos) {
      return Error(node, section + "." + key, "must not contain a NUL character");
    }
    *out = node->as_string()->get();
    return Status::Ok();
  }

  Status Int(const toml::table* t, const std::string& section, const char* key, int64_t min,
             int64_t max, int64_t* out) const {
    const toml::node* node = t ? t->get(key) : nullptr;
    if (node == nullptr) return Status::Ok();
    if (!node->is_integer()) return Error(node, section + "." + key, "must be an integer");
    const int64_t v = node->as_integer()->get();
    if (v < min || v > max) {
      return Error(node, section + "." + key,
                   "must be between " + std::to_string(min) + " and " + std::to_string(max));
    }
    *out = v;
    return Status::Ok();
  }

  Status Int(const toml::table* t, const std::string& section, const char* key, int min, int max,
             int* out) const {
    int64_t v = *out;
    SB_RETURN_IF_ERROR(Int(t, section, key, int64_t{min}, int64_t{max}, &v));
    *out = static_cast<int>(v);
    return Status::Ok();
  }

  Status Seconds(const toml::table* t, const std::string& section, const char* key, double min,
                 double* out, const char* unit = "seconds") const {
    const toml::node* node = t ? t->get(key) : nullptr;
    if (node == nullptr) return Status::Ok();
    double v;
    if (node->is_integer()) {
      v = static_cast<double>(node->as_integer()->get());
    } else if (node->is_floating_point()) {
      v = node->as_floating_point()->get();
    } else {
      return Error(node, section + "." + key, std::string("must be a number of ") + unit);
    }
    if (!(v >= min) || v > 1e9) {
      return Error(node, section + "." + key, "must be at least " + std::to_string(min));
    }
    *out = v;
    return Status::Ok();
  }

  // An array of `min`..`max` names as EC2 spells instance types and zones: 1..64 bytes of
  // [a-z0-9.-], none twice.
  Status Names(const toml::table* t, const std::string& section, const char* key, size_t min,
               size_t max, std::vector<std::string>* out) const {
    const toml::node* node = t ? t->get(key) : nullptr;
    if (node == nullptr) return Status::Ok();
    const std::string name = section + "." + key;
    if (!node->is_array()) return Error(node, name, "must be an array of strings");
    const toml::array& a = *node->as_array();
    if (a.size() < min || a.size() > max) {
      return Error(node, name,
                   "must list " + std::to_string(min) + " to " + std::to_string(max) + " names");
    }
    out->clear();
    for (size_t i = 0; i < a.size(); ++i) {
      const std::string at = name + "[" + std::to_string(i) + "]";
      if (!a[i].is_string()) return Error(&a[i], at, "must be a string");
      const std::string& v = a[i].as_string()->get();
      bool ok = !v.empty() && v.size() <= 64;
      for (char ch : v)
        ok = ok && ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '-');
      if (!ok) return Error(&a[i], at, "must be 1-64 lowercase letters, digits, '.' or '-'");
      for (const std::string& seen : *out) {
        if (seen == v) return Error(&a[i], at, "\"" + v + "\" is listed twice");
      }
      out->push_back(v);
    }
    return Status::Ok();
  }

  Status Bool(const toml::table* t, const std::string& section, const char* key, bool* out) const {
    const toml::node* node = t ? t->get(key) : nullptr;
    if (node == nullptr) return Status::Ok();
    if (!node->is_boolean()) return Error(node, section + "." + key, "must be true or false");
    *out = node->as_boolean()->get();
    return Status::Ok();
  }

  // `order` = "fifo" | "largest_first" (core/task_order.h).
  Status Order(const toml::table* t, const std::string& section, TaskOrder* out) const {
    std::string name = TaskOrderName(*out);
    SB_RETURN_IF_ERROR(String(t, section, "order", &name));
    const std::optional<TaskOrder> order = ParseTaskOrder(name);
    if (!order) {
      return Error(t->get("order"), section + ".order", "must be \"fifo\" or \"largest_first\"");
    }
    *out = *order;
    return Status::Ok();
  }

  Status Prefix(const toml::table* t, const std::string& section, const char* key,
                std::string* out) const {
    SB_RETURN_IF_ERROR(String(t, section, key, out));
    if (!out->empty() && out->back() != '/') out->push_back('/');
    Status s = out->size() < 2 ? InvalidArgument("is empty")
                               : ValidateObjectKey(out->substr(0, out->size() - 1));
    if (!s.ok()) return Error(t ? t->get(key) : nullptr, section + "." + key, s.message());
    return Status::Ok();
  }

  std::string Path(const std::string& p) const {
    namespace fs = std::filesystem;
    return fs::path(p).is_absolute() ? p : (fs::path(dir_) / p).lexically_normal().string();
  }

 private:
  std::string file_;
  std::string dir_;
};

extern const char* const kLongestSqsQueueSuffix;

// [store] url, [queue], [state] url, [ingest] and [aws] (config_services.cc): which adapter
// backs each port. Runs after [pipeline] was read (buckets are checked against its prefixes).
Status ParseServices(const Parser& p, const toml::table& root, Config* c);

}  // namespace spotbatch::config_internal
