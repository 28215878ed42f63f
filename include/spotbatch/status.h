// Status and Result<T>: errors as values whose codes tell the caller what to do.
//
//   kOk                  success
//   kInvalidArgument     the request is malformed (bad key, bad config); do not retry
//   kNotFound            the named thing does not exist; do not retry
//   kAlreadyExists       a create found the thing already there; usually means "done before"
//   kFailedPrecondition  the system is not in a state that allows this; do not retry as is
//   kAborted             lost a conditional race: re-read, re-decide and try again
//   kUnavailable         a transient fault (busy database, network); retry the same call
//   kDeadlineExceeded    a timed wait ran out; retry if still wanted
//   kResourceExhausted   out of space (a full disk, ENOSPC, SQLITE_FULL) or a quota: the same
//                        call fails again until something is freed; not a free retry
//   kInternal            a bug or corrupt data; do not retry
//   kDataLoss            stored data is unreadable or incomplete
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace spotbatch {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,
  kAborted,
  kUnavailable,
  kDeadlineExceeded,
  kInternal,
  kDataLoss,
  kResourceExhausted,
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // True when repeating the same call later may succeed.
  bool retryable() const {
    return code_ == StatusCode::kUnavailable || code_ == StatusCode::kDeadlineExceeded;
  }
  // "CODE: message", for logs and error output.
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
inline Status FailedPrecondition(std::string m) {
  return {StatusCode::kFailedPrecondition, std::move(m)};
}
inline Status Aborted(std::string m) { return {StatusCode::kAborted, std::move(m)}; }
inline Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
inline Status DataLoss(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
inline Status ResourceExhausted(std::string m) {
  return {StatusCode::kResourceExhausted, std::move(m)};
}

// A value or the Status explaining why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    if (status_.ok()) status_ = Internal("Result constructed from an OK status without a value");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T operator*() && { return std::move(*value_); }  // by value: safe in range-for

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace spotbatch

// Returns early from the enclosing function when `expr` is not OK.
#define SB_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::spotbatch::Status sb_status_ = (expr); \
    if (!sb_status_.ok()) return sb_status_; \
  } while (0)

#define SB_CONCAT_INNER(a, b) a##b
#define SB_CONCAT(a, b) SB_CONCAT_INNER(a, b)
// `SB_ASSIGN_OR_RETURN(auto x, Foo());` declares x from Foo()'s value or returns its Status.
#define SB_ASSIGN_OR_RETURN(decl, expr) \
  SB_ASSIGN_OR_RETURN_IMPL(SB_CONCAT(sb_result_, __LINE__), decl, expr)
#define SB_ASSIGN_OR_RETURN_IMPL(tmp, decl, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  decl = std::move(tmp).value()
