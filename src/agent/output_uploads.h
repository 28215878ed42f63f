// The outputs of one attempt on their way to their staging keys, continuing what earlier
// attempts of the task began (the task's pending uploads) and recording what this one
// begins, so that whoever takes the task next continues it in turn: an output of gigabytes
// whose upload an interruption cut short is not sent again from its first byte.
//
// Only uploads the store makes in steps (ObjectStore::PutFileResumable: S3's multipart
// uploads) are recorded; a file the store puts in one request is simply put again.
//
// A continued upload keeps the staging key of the attempt that began it: an upload belongs
// to its key. The staged object is still exactly this attempt's file (a part is reused only
// if it holds the same bytes), and it counts only once this attempt commits it, as any
// staged output does.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "spotbatch/model.h"
#include "spotbatch/object_store.h"
#include "spotbatch/status.h"

namespace spotbatch {

class OutputUploads {
 public:
  struct Hooks {
    // Records `pending` with the task (a commit), from the calling thread, when an upload
    // begins and before it sends a part. A failure goes unanswered here: keep_going's next
    // heartbeat finds a lost lease.
    std::function<void(const std::vector<PendingUpload>& pending)> record;
    // Between parts, from the thread that sent the last one, one call at a time: whether to
    // go on (heartbeats and notices are the caller's).
    std::function<bool()> keep_going;
  };

  // `pending`: the task's pending uploads, recorded by earlier attempts.
  OutputUploads(ObjectStore& store, std::vector<PendingUpload> pending, Hooks hooks);

  // Uploads the file `path` for `out`: to out.staging_key, or on into the upload an earlier
  // attempt began for out.final_key (out.staging_key then becomes that upload's key). Fails
  // as ObjectStore::PutFileResumable does: kUnavailable when keep_going stopped it, the
  // upload then left pending.
  Result<ObjectInfo> Put(OutputFile& out, const std::string& path);

  // The uploads begun and not finished, by this attempt or earlier ones: what the task
  // should record when the attempt ends before every output is staged.
  const std::vector<PendingUpload>& pending() const { return pending_; }
  // Gives up the pending uploads that no output of this attempt continued (the command did
  // not write those files this time): once every output is put and committed.
  void AbandonUnused();

 private:
  std::vector<PendingUpload>::iterator Find(const std::string& final_key);

  ObjectStore& store_;
  std::vector<PendingUpload> pending_;
  Hooks hooks_;
};

}  // namespace spotbatch
