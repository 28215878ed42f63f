// The ObjectStore contract: every adapter must pass these. An adapter's test file includes
// this header and instantiates the suite with a factory for a fresh, empty store.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <thread>

#include "spotbatch/object_store.h"
#include "test_util.h"

namespace spotbatch::contract {

using ObjectStoreFactory = std::function<std::unique_ptr<ObjectStore>(const std::string& dir)>;

class ObjectStoreContract : public ::testing::TestWithParam<ObjectStoreFactory> {
 protected:
  void SetUp() override { store_ = GetParam()(dir_.path()); }
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
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::thread reader([&] {
    while (!done.load()) {
      auto got = store_->Get("b/k");
      if (!got.ok() || (*got != a && *got != b)) ++bad;
    }
  });
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(store_->Put("b/k", i % 2 ? a : b).ok());
  done = true;
  reader.join();
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace spotbatch::contract
