// ObjectStore in memory, for the simulator and for fast tests.
//
// The same contract as the directory store (tests/contract/object_store_contract.h runs
// against both): MD5 ETags, keys validated as untrusted input, listing in key order by prefix,
// ranged reads, and writes that are atomic (a reader sees the old object or the new one).
// How it differs:
// - Nothing survives the process: there is no crash to survive, and nothing to recover.
// - Like S3 and unlike a file tree, "a/b" and "a/b/c" can both exist.
// - Modification times come from the injected Clock, so a FakeClock makes them deterministic.
//
// Thread-safe: one mutex per store, shared by every handle Connect() makes, held only to look
// up or swap an object. Contents are immutable and shared: Copy is O(log n) and copies no
// bytes, and Get copies its bytes after letting go of the lock. Put and Stat are O(log n) plus
// the bytes hashed or copied; List is O(log n + k) for k objects listed.
#pragma once

#include <memory>

#include "spotbatch/clock.h"
#include "spotbatch/object_store.h"

namespace spotbatch {

class MemoryObjectStore final : public ObjectStore {
 public:
  // An empty store; `clock` must outlive it and every handle Connect() makes.
  explicit MemoryObjectStore(Clock& clock);
  ~MemoryObjectStore() override;

  // Another handle on the same objects, as a second process opening the same directory is:
  // what one handle writes, every other reads. The objects live until the last handle goes.
  std::unique_ptr<MemoryObjectStore> Connect() const;

  Result<ObjectInfo> Put(std::string_view key, std::string_view data) override;
  Result<ObjectInfo> PutFile(std::string_view key, const std::string& path) override;
  Result<std::string> Get(std::string_view key) override;
  Result<std::string> GetRange(std::string_view key, uint64_t offset, uint64_t length) override;
  Status GetToFile(std::string_view key, const std::string& path) override;
  Result<ObjectInfo> Stat(std::string_view key) override;
  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override;
  Status Copy(std::string_view src, std::string_view dst) override;
  Status Delete(std::string_view key) override;

 private:
  struct Objects;
  explicit MemoryObjectStore(std::shared_ptr<Objects> objects);
  // Stores `content` (already hashed into `etag`) under a validated key.
  ObjectInfo Store(std::string_view key, std::shared_ptr<const std::string> content,
                   std::string etag);

  std::shared_ptr<Objects> objects_;
};

}  // namespace spotbatch
