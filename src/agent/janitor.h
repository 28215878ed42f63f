// The janitor: removes what attempts killed at the wrong moment leave in the object store.
//
// A worker deletes its own staged outputs and replaced checkpoints, but one killed between a
// commit and that cleanup cannot (the next attempt drops a vanished attempt's staging right
// after it has fenced it with its own start, and can be killed in between too). Nothing reads
// such objects ever again: an attempt that is not current never commits, and a task uses only
// its committed checkpoint. The janitor finds them by elimination.
//
// Safe while workers run: it lists the objects first and reads the tasks after, so an object
// it lists was written by an attempt that had started by then; if that attempt can still
// commit, the later read shows its task RUNNING (or PUBLISHING) under its token, and the
// object is kept.
#pragma once

#include <string>
#include <vector>

#include "spotbatch/object_store.h"
#include "spotbatch/state_store.h"
#include "spotbatch/task_queue.h"

namespace spotbatch {

struct SweepReport {
  int staging_removed = 0;
  int checkpoints_removed = 0;  // objects, not prefixes
};

// Deletes staged outputs and checkpoint objects that no current attempt or committed
// checkpoint names. Errors of single deletions are skipped (the next sweep retries them); a
// failed listing or read returns its status and deletes nothing.
Result<SweepReport> SweepOrphans(ObjectStore& store, StateStore& state);

// Deletes the visible messages in `queues` whose task is finished (or gone). A worker that
// died between a task's last commit and deleting its message leaves one, and `run` ends as
// soon as every job is finished, before any worker leases it again. Messages of unfinished
// tasks are held while the queue is read, then released at once (one delivery each on their
// count). Reads at most the messages visible when it starts. Returns how many it deleted; a
// failed lease or read returns its status (what was held is released first).
Result<int> DeleteSpentMessages(TaskQueue& queue, StateStore& state,
                                const std::vector<std::string>& queues);

}  // namespace spotbatch
