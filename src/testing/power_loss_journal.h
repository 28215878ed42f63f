// The journal behind PowerLossDisk (power_loss.h): what each change under the disk's root
// replaced, until it is durable. Shared by the disk's FileSystem and its SQLite VFS; not for
// other users.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace spotbatch::power_loss {

struct Change {
  enum class Kind { kWrite, kTruncate, kCreate, kRename, kLink, kUnlink, kMkdir, kRmdir };
  Kind kind;
  ino_t inode = 0;            // kWrite, kTruncate: the file changed
  off_t offset = 0;           // kWrite: where
  off_t old_size = 0;         // kWrite, kTruncate: the file's size before
  std::string old_bytes;      // kWrite: the bytes overwritten; kTruncate: the tail cut off
  std::string path;           // the entry made or removed (kRename: the new name)
  std::string from;           // kRename: the old name
  std::string shadow;         // the file an unlink or a rename replaced, kept aside
  bool durable = false;       // the content, or the entry at `path`, is on the disk
  bool from_durable = false;  // kRename: the removal of `from` is on the disk
};

class Journal {
 public:
  Journal(std::string root, std::string shadow_dir);

  // Everything below is called with `mu` held.
  std::mutex mu;
  // The root itself or a path below it.
  bool Under(const std::string& path) const;
  // Counts a change or an fsync under root; false once the power is cut (the caller must fail
  // with EIO and change nothing).
  bool Admit();
  void CutNow() { cut_ = true; }
  void CutAfter(int64_t changes) { cut_at_ = changes_ + changes; }
  bool cut() const { return cut_; }
  int64_t changes() const { return changes_; }
  int64_t syncs() const { return syncs_; }

  // Content: a write at `offset` that replaces `old_bytes` (the file's bytes there, if any)
  // of a file `old_size` long; a truncate that cuts off `tail` (empty when it grows the file).
  void RecordWrite(ino_t inode, off_t old_size, off_t offset, std::string old_bytes);
  void RecordTruncate(ino_t inode, off_t old_size, std::string tail);
  void FileSynced(ino_t inode);
  // Directory entries. Call the Before* ones before the change is made (they keep aside what
  // it replaces) and the Record* ones after it succeeded.
  std::string BeforeReplace(const std::string& path);  // "" when nothing is there
  void RecordCreate(const std::string& path, ino_t inode);
  void RecordRename(const std::string& from, const std::string& to, std::string shadow);
  void RecordLink(const std::string& path);
  void RecordUnlink(const std::string& path, std::string shadow);
  void RecordMkdir(const std::string& path);
  void RecordRmdir(const std::string& path);
  void DirSynced(const std::string& dir);
  // A file SQLite opened (for undoing its writes) or deleted (durably: its changes are moot).
  void Opened(const std::string& path, ino_t inode) { path_of_inode_[inode] = path; }
  void Deleted(const std::string& path);

  struct Undone {
    int64_t writes = 0;
    int64_t entries = 0;
    std::vector<std::string> errors;  // undo steps that could not be carried out
  };
  // Undoes every change that is not durable, newest first; powers the disk back on.
  Undone Reboot();

 private:
  void Undo(const Change& c, Undone& undone);
  std::string HistoryOf(const std::string& path) const;
  void Prune();

  const std::string root_;
  const std::string shadow_dir_;
  bool cut_ = false;
  int64_t cut_at_ = -1;
  int64_t changes_ = 0;
  int64_t syncs_ = 0;
  int64_t shadows_ = 0;
  std::vector<Change> changes_log_;
  std::unordered_map<ino_t, std::string> path_of_inode_;
};

}  // namespace spotbatch::power_loss
