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

#include "spotbatch/object_store.h"
#include "spotbatch/state_store.h"

namespace spotbatch {

struct SweepReport {
  int staging_removed = 0;
  int checkpoints_removed = 0;  // objects, not prefixes
};

// Deletes staged outputs and checkpoint objects that no current attempt or committed
// checkpoint names. Errors of single deletions are skipped (the next sweep retries them); a
// failed listing or read returns its status and deletes nothing.
Result<SweepReport> SweepOrphans(ObjectStore& store, StateStore& state);

}  // namespace spotbatch
