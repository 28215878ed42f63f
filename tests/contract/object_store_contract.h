// The ObjectStore contract: every adapter must pass these. An adapter's test file includes
// this header and instantiates the suite with an ObjectStoreAdapter: how to open a fresh,
// empty store, and how to open another connection to it (a second process on the same
// directory, a second handle on the same memory), which the concurrency tests use from other
// threads.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <ostream>
#include <set>
#include <thread>

#include "common/ids.h"
#include "spotbatch/object_store.h"
#include "test_util.h"

namespace spotbatch::contract {

struct ObjectStoreAdapter {
  std::string name;
  // A fresh, empty store; `dir` is a temporary directory it may use.
  std::function<std::unique_ptr<ObjectStore>(const std::string& dir)> open;
  // Another connection to the store that `open` made as `first` in `dir`.
  std::function<std::unique_ptr<ObjectStore>(ObjectStore& first, const std::string& dir)> connect;
};
inline void PrintTo(const ObjectStoreAdapter& a, std::ostream* os) { *os << a.name; }
inline std::string AdapterName(const ::testing::TestParamInfo<ObjectStoreAdapter>& info) {
  return info.param.name;
}

class ObjectStoreContract : public ::testing::TestWithParam<ObjectStoreAdapter> {
 protected:
  void SetUp() override {
    store_ = GetParam().open(dir_.path());
    ASSERT_NE(store_, nullptr);
  }
  std::unique_ptr<ObjectStore> Connect() {
    auto other = GetParam().connect(*store_, dir_.path());
    EXPECT_NE(other, nullptr);
    return other;
  }
  static std::string Md5Of(std::string_view data) {
    Md5 md5;
    md5.Update(data.data(), data.size());
    return md5.FinishHex();
  }
  testing::TempDir dir_;
  std::unique_ptr<ObjectStore> store_;
};

TEST_P(ObjectStoreContract, PutThenGetReturnsSameBytesAndMd5Etag) {
  auto info = store_->Put("b/k.txt", "hello");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->size, 5u);
  EXPECT_EQ(info->etag, "5d41402abc4b2a76b9719d911017c592");  // md5("hello")
  auto got = store_->Get("b/k.txt");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "hello");
  auto st = store_->Stat("b/k.txt");
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->etag, info->etag);
  EXPECT_EQ(st->size, 5u);
}

TEST_P(ObjectStoreContract, EmptyAndBinaryObjects) {
  ASSERT_TRUE(store_->Put("b/empty", "").ok());
  EXPECT_EQ(*store_->Get("b/empty"), "");
  EXPECT_EQ(store_->Stat("b/empty")->etag, "d41d8cd98f00b204e9800998ecf8427e");
  const std::string bin("a\0b\xff", 4);
  ASSERT_TRUE(store_->Put("b/bin", bin).ok());
  EXPECT_EQ(*store_->Get("b/bin"), bin);
}

TEST_P(ObjectStoreContract, PutReplacesWholeObject) {
  ASSERT_TRUE(store_->Put("b/k", std::string(10000, 'a')).ok());
  ASSERT_TRUE(store_->Put("b/k", "short").ok());
  EXPECT_EQ(*store_->Get("b/k"), "short");
  EXPECT_EQ(store_->Stat("b/k")->size, 5u);
}

TEST_P(ObjectStoreContract, MissingObjectIsNotFound) {
  EXPECT_EQ(store_->Get("b/missing").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Stat("b/missing").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Copy("b/missing", "b/x").code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->Delete("b/missing").ok());
}

TEST_P(ObjectStoreContract, RangedGet) {
  ASSERT_TRUE(store_->Put("b/k", "0123456789").ok());
  EXPECT_EQ(*store_->GetRange("b/k", 2, 3), "234");
  EXPECT_EQ(*store_->GetRange("b/k", 8, 100), "89");
  EXPECT_EQ(*store_->GetRange("b/k", 20, 5), "");
}

TEST_P(ObjectStoreContract, ListIsSortedAndFilteredByPrefix) {
  for (const char* k : {"b/z", "b/a/2", "b/a/1", "b/ab", "c/x", "b/a b/+"}) {
    ASSERT_TRUE(store_->Put(k, k).ok()) << k;
  }
  auto all = store_->List("b/");
  ASSERT_TRUE(all.ok());
  std::vector<std::string> keys;
  for (const auto& o : *all) keys.push_back(o.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"b/a b/+", "b/a/1", "b/a/2", "b/ab", "b/z"}));
  auto partial = store_->List("b/a/");
  ASSERT_TRUE(partial.ok());
  ASSERT_EQ(partial->size(), 2u);
  auto mid = store_->List("b/a");
  ASSERT_TRUE(mid.ok());
  EXPECT_EQ(mid->size(), 4u);
  EXPECT_TRUE(store_->List("nothing/")->empty());
}

TEST_P(ObjectStoreContract, CopyIsIndependentOfLaterWritesToSource) {
  ASSERT_TRUE(store_->Put("b/src", "one").ok());
  ASSERT_TRUE(store_->Copy("b/src", "b/dst/deep").ok());
  ASSERT_TRUE(store_->Put("b/src", "two").ok());
  EXPECT_EQ(*store_->Get("b/dst/deep"), "one");
  EXPECT_EQ(store_->Stat("b/dst/deep")->etag, store_->Put("b/tmp", "one")->etag);
}

TEST_P(ObjectStoreContract, DeleteRemovesObjectAndFreesPrefix) {
  ASSERT_TRUE(store_->Put("b/a/b/c", "x").ok());
  ASSERT_TRUE(store_->Delete("b/a/b/c").ok());
  EXPECT_EQ(store_->Get("b/a/b/c").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->List("b/")->empty());
  EXPECT_TRUE(store_->Put("b/a/b", "now a file").ok());
}

TEST_P(ObjectStoreContract, BadKeysRefusedAndNothingCreated) {
  const std::string nul("b/a\0", 4);
  for (const std::string& key :
       {std::string("b/../x"), nul, std::string("b/a\x01"), std::string(1100, 'k'),
        std::string("/abs"), std::string("b//x")}) {
    auto put = store_->Put(key, "x");
    EXPECT_EQ(put.status().code(), StatusCode::kInvalidArgument) << key;
    EXPECT_EQ(store_->Get(key).status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(store_->Delete(key).code(), StatusCode::kInvalidArgument);
  }
  auto all = store_->List("");
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty());
}

TEST_P(ObjectStoreContract, PutFileAndGetToFileStreamLargeObjects) {
  std::string big(3 * 1024 * 1024 + 17, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 131 % 251);
  testing::TempDir local;
  testing::WriteFile(local / "big", big);
  auto info = store_->PutFile("b/big", local / "big");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->size, big.size());
  ASSERT_TRUE(store_->GetToFile("b/big", local / "copy").ok());
  EXPECT_EQ(testing::ReadFile(local / "copy"), big);
  EXPECT_EQ(store_->PutFile("b/x", local / "missing").status().code(), StatusCode::kNotFound);
  // Over an existing, longer file: exactly the object remains.
  ASSERT_TRUE(store_->Put("b/small", "small").ok());
  ASSERT_TRUE(store_->GetToFile("b/small", local / "copy").ok());
  EXPECT_EQ(testing::ReadFile(local / "copy"), "small");
  ASSERT_TRUE(store_->Put("b/empty", "").ok());
  ASSERT_TRUE(store_->GetToFile("b/empty", local / "copy").ok());
  EXPECT_EQ(testing::ReadFile(local / "copy"), "");
}

TEST_P(ObjectStoreContract, ConcurrentReaderNeverSeesPartialObject) {
  const std::string a(1 << 20, 'a'), b(1 << 19, 'b');
  ASSERT_TRUE(store_->Put("b/k", a).ok());
  auto reader_store = Connect();
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::thread reader([&] {
    while (!done.load()) {
      auto got = reader_store->Get("b/k");
      if (!got.ok() || (*got != a && *got != b)) ++bad;
    }
  });
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(store_->Put("b/k", i % 2 ? a : b).ok());
  done = true;
  reader.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST_P(ObjectStoreContract, ListReportsSizeAndEtagOfEachObject) {
  ASSERT_TRUE(store_->Put("b/one", "hello").ok());
  ASSERT_TRUE(store_->Put("b/two", "").ok());
  auto list = store_->List("b/");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].key, "b/one");
  EXPECT_EQ((*list)[0].size, 5u);
  EXPECT_EQ((*list)[0].etag, Md5Of("hello"));
  EXPECT_EQ((*list)[1].size, 0u);
  EXPECT_EQ((*list)[1].etag, Md5Of(""));
}

TEST_P(ObjectStoreContract, CopyReplacesAnExistingDestination) {
  ASSERT_TRUE(store_->Put("b/src", "new").ok());
  ASSERT_TRUE(store_->Put("b/dst", "an older and longer object").ok());
  ASSERT_TRUE(store_->Copy("b/src", "b/dst").ok());
  EXPECT_EQ(*store_->Get("b/dst"), "new");
  EXPECT_EQ(store_->Stat("b/dst")->size, 3u);
  EXPECT_EQ(store_->Stat("b/dst")->etag, Md5Of("new"));
  EXPECT_EQ(*store_->Get("b/src"), "new") << "the source stays";
}

TEST_P(ObjectStoreContract, MissingObjectIsNotFoundForRangesAndFilesAndNoFileIsMade) {
  testing::TempDir local;
  EXPECT_EQ(store_->GetRange("b/missing", 0, 10).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetToFile("b/missing", local / "out").code(), StatusCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(local / "out"));
}

TEST_P(ObjectStoreContract, EveryMethodRefusesBadKeysBeforeTouchingAnything) {
  ASSERT_TRUE(store_->Put("b/good", "x").ok());
  testing::TempDir local;
  testing::WriteFile(local / "file", "content");
  for (const std::string& bad : {std::string("b/../x"), std::string("b/a\x01"),
                                 std::string(".tmp/x"), std::string("b/./x")}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(store_->PutFile(bad, local / "file").status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(store_->GetRange(bad, 0, 1).status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(store_->GetToFile(bad, local / "out").code(), StatusCode::kInvalidArgument);
    EXPECT_FALSE(std::filesystem::exists(local / "out"));
    EXPECT_EQ(store_->Stat(bad).status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(store_->Copy("b/good", bad).code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(store_->Copy(bad, "b/copy").code(), StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(store_->List("b/../").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->List(std::string("b/\0", 3)).status().code(), StatusCode::kInvalidArgument);
  auto all = store_->List("");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u) << "nothing but the good object";
}

TEST_P(ObjectStoreContract, SpotbatchsOwnBucketIsStorable) {
  // Keys spotbatch writes itself (staging, checkpoints) live under a bucket starting with '_'.
  ASSERT_TRUE(store_->Put("_spotbatch/staging/t/a", "staged").ok());
  ASSERT_TRUE(store_->Copy("_spotbatch/staging/t/a", "out/a").ok());
  EXPECT_EQ(*store_->Get("out/a"), "staged");
  auto staged = store_->List("_spotbatch/");
  ASSERT_TRUE(staged.ok());
  ASSERT_EQ(staged->size(), 1u);
  EXPECT_EQ((*staged)[0].key, "_spotbatch/staging/t/a");
}

TEST_P(ObjectStoreContract, KeysAreTakenLiterally) {
  // "+" is not a space and "%2B" is not "+": three keys, three objects.
  for (const char* k : {"b/a+b", "b/a b", "b/a%2Bb"}) ASSERT_TRUE(store_->Put(k, k).ok()) << k;
  for (const char* k : {"b/a+b", "b/a b", "b/a%2Bb"}) EXPECT_EQ(*store_->Get(k), k);
  EXPECT_EQ(store_->List("b/")->size(), 3u);
}

TEST_P(ObjectStoreContract, PutFileReportsTheMd5OfTheFile) {
  testing::TempDir local;
  testing::WriteFile(local / "f", "hello");
  testing::WriteFile(local / "empty", "");
  auto info = store_->PutFile("b/f", local / "f");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->key, "b/f");
  EXPECT_EQ(info->etag, Md5Of("hello"));
  EXPECT_EQ(store_->Stat("b/f")->etag, Md5Of("hello"));
  auto empty = store_->PutFile("b/empty", local / "empty");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->size, 0u);
  EXPECT_EQ(*store_->Get("b/empty"), "");
}

// Writers on several connections replace one key at once: the object left is one writer's
// whole content, and its size and ETag describe that content.
TEST_P(ObjectStoreContract, ConcurrentPutsOfOneKeyLeaveOneWholeObject) {
  constexpr int kWriters = 4;
  std::vector<std::string> contents;
  for (int w = 0; w < kWriters; ++w) {
    contents.push_back(std::string(100'000 + w * 7'919, static_cast<char>('a' + w)));
  }
  std::vector<std::unique_ptr<ObjectStore>> connections;
  for (int w = 0; w < kWriters; ++w) connections.push_back(Connect());
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < 20; ++i) {
        if (!connections[w]->Put("b/contested", contents[w]).ok()) ++failures;
      }
    });
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto got = store_->Get("b/contested");
  ASSERT_TRUE(got.ok());
  const auto winner = std::find(contents.begin(), contents.end(), *got);
  ASSERT_NE(winner, contents.end()) << "a mix of writers' contents";
  auto info = store_->Stat("b/contested");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->size, winner->size());
  EXPECT_EQ(info->etag, Md5Of(*winner));
}

// A listing while another connection replaces and deletes objects fails for none of them, and
// reports each object it shows with the size and ETag of one whole version of it.
TEST_P(ObjectStoreContract, ListingDuringConcurrentWritesShowsWholeObjects) {
  const std::string small(1'000, 's'), large(50'000, 'L');
  const std::set<std::pair<uint64_t, std::string>> versions = {{small.size(), Md5Of(small)},
                                                               {large.size(), Md5Of(large)}};
  auto writer_store = Connect();
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 300; ++i) {
      const std::string key = "b/k" + std::to_string(i % 5);
      EXPECT_TRUE(writer_store->Put(key, i % 2 ? small : large).ok());
      if (i % 3 == 0) {
        EXPECT_TRUE(writer_store->Delete(key).ok());
      }
    }
    done = true;
  });
  int listings = 0, bad = 0;
  std::string first_bad;
  while (!done.load() || listings == 0) {
    auto list = store_->List("b/");
    ++listings;
    if (!list.ok()) {
      if (bad++ == 0) first_bad = list.status().ToString();
      continue;
    }
    for (const ObjectInfo& o : *list) {
      if (!versions.contains({o.size, o.etag}) && bad++ == 0) {
        first_bad = o.key + ": size " + std::to_string(o.size) + " with ETag " + o.etag;
      }
    }
  }
  writer.join();
  EXPECT_EQ(bad, 0) << "of " << listings << " listings; the first: " << first_bad;
}

}  // namespace spotbatch::contract
