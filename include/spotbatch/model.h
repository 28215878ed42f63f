// Value types of the batch model: jobs, tasks and attempts.
//
// A job is one input object. A task is one unit of work of a job (a job has one task until
// splitting lands). An attempt is one execution of a task on one worker; its token is the
// lease that every later transition of that attempt must name.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace spotbatch {

enum class TaskState {
  kQueued,      // waiting for a worker (possibly until not_before)
  kRunning,     // an attempt holds it until lease_expires
  kPublishing,  // an attempt committed success; its staged outputs are being published
  kSucceeded,   // outputs published (terminal)
  kFailed,      // a retry budget is spent (terminal)
  kCancelled,   // cancelled by a user (terminal)
};

enum class AttemptOutcome {
  kRunning,
  kSucceeded,    // exit 0, outputs committed
  kFailed,       // the command failed (non-zero exit, signal, could not start)
  kTimedOut,     // killed after timeout_seconds
  kInterrupted,  // the instance was reclaimed (spends the interruption budget)
  kLost,         // the worker vanished; its lease expired (spends the lost budget)
  kReleased,     // handed back without an outcome (worker stopping, a fault of the worker
                 // or the store before the command ran); spends max_releases
  kCancelled,
};

const char* TaskStateName(TaskState s);
const char* AttemptOutcomeName(AttemptOutcome o);
bool ParseTaskState(const std::string& name, TaskState* out);
bool ParseAttemptOutcome(const std::string& name, AttemptOutcome* out);
inline bool IsTerminal(TaskState s) {
  return s == TaskState::kSucceeded || s == TaskState::kFailed || s == TaskState::kCancelled;
}

// What a state change must survive. Every commit survives the crash of any process; a kSoft
// one may be undone by a power loss of the machine that holds an embedded store (managed
// stores make every write durable). kSoft is for changes whose loss leaves a state that the
// power loss produces anyway: the start or heartbeat of an attempt that died with the machine.
enum class CommitDurability { kDurable, kSoft };

// One staged output: the attempt wrote `staging_key`; publishing copies it to `final_key`.
struct OutputFile {
  std::string staging_key;
  std::string final_key;
  bool operator==(const OutputFile&) const = default;
};

// An output upload that an attempt began and did not finish (an S3 multipart upload),
// recorded with the task so that the next attempt continues it instead of sending every byte
// again. Only stores that upload in steps make one (ObjectStore::PutFileResumable).
struct PendingUpload {
  std::string final_key;    // the output it is for
  std::string staging_key;  // where it is being uploaded (the attempt that began it staged it)
  std::string upload_id;
  uint64_t part_size = 0;
  bool operator==(const PendingUpload&) const = default;
};

struct TaskRecord {
  std::string id;
  std::string job_id;
  int index = 0;
  std::string input_key;
  TaskState state = TaskState::kQueued;
  int64_t version = 0;                    // bumped by every transition; conditional writes name it
  std::string attempt_token;              // current or last attempt
  int attempts = 0;                       // attempts started
  int app_failures = 0;                   // spends max_attempts
  int interruptions = 0;                  // spends max_interruptions
  int lost = 0;                           // spends max_lost_attempts
  int releases = 0;                       // hand-backs without an outcome; spends max_releases
  int64_t not_before_unix_millis = 0;     // QUEUED: not deliverable before (retry backoff)
  int64_t lease_expires_unix_millis = 0;  // RUNNING: the attempt is presumed dead after this
  bool enqueued = false;                  // a queue message was sent for the current QUEUED spell
  std::vector<OutputFile> outputs;
  std::string last_error;
  int64_t updated_unix_millis = 0;  // every transition; heartbeats: last sign of life
  int64_t started_unix_millis = 0;  // when the current or last attempt started
  // The last checkpoint committed for this task (a key prefix in the store; empty: none) and
  // when the command wrote it. The next attempt starts with it restored.
  std::string checkpoint;
  int64_t checkpoint_unix_millis = 0;
  // Uploads of outputs left unfinished by earlier attempts (one per output at most).
  std::vector<PendingUpload> uploads;
  bool operator==(const TaskRecord&) const = default;
};

struct AttemptRecord {
  std::string token;
  std::string task_id;
  int number = 0;  // 1-based
  std::string worker;
  int64_t started_unix_millis = 0;
  int64_t ended_unix_millis = 0;
  AttemptOutcome outcome = AttemptOutcome::kRunning;
  int exit_code = -1;
  std::string message;
  std::string log_tail;
  std::string pool;              // capacity pool of the worker's instance; empty: plain worker
  int64_t lost_work_millis = 0;  // INTERRUPTED or LOST: work done since the last checkpoint
  bool operator==(const AttemptRecord&) const = default;
};

struct JobRecord {
  std::string id;
  std::string input_key;
  std::string input_etag;
  uint64_t input_size = 0;
  int64_t created_unix_millis = 0;
  bool operator==(const JobRecord&) const = default;
};

}  // namespace spotbatch
