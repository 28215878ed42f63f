// The S3 object store: the object-store contract on moto (path-style and virtual-host) and on
// s3rver (a second S3 implementation, installed by scripts/setup into .deps), its own
// behaviour (keys, buckets, listing pages, multipart upload and its resumption by another
// process, multipart copy), and cross-checks with the AWS CLI as an independent client.
#include "adapters/aws/s3_object_store.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "aws/aws_cli.h"
#include "aws/moto_server.h"
#include "aws/static_credentials.h"
#include "common/ids.h"
#include "contract/object_store_contract.h"
#include "core/aws_names.h"

namespace spotbatch {
namespace {

using testing::TempDir;

// One moto for the whole binary. Its minimum part is lowered to 256 KiB so that the contract
// runs multipart uploads on small files (S3's 5 MiB is kept by the 50 MiB cross-checks). It
// serves one request at a time: threaded, moto replaces an object's content in steps, and a
// concurrent GET saw a mix (the contract's ConcurrentReaderNeverSeesPartialObject failed once
// in ten runs); S3 and s3rver (which runs threaded here) replace objects atomically.
testing::MotoServer& Moto() {
  static testing::MotoServer* moto = [] {
    ::setenv("S3_UPLOAD_PART_MIN_SIZE", "262144", 1);
    return new testing::MotoServer({.one_request_at_a_time = true});
  }();
  return *moto;
}
std::string MotoPort() {
  const std::string& e = Moto().endpoint();
  return e.substr(e.rfind(':') + 1);
}

// s3rver (npm), from the project's .deps (scripts/setup), on a free loopback port with its
// own data directory, dead with the test process.
class S3rver {
 public:
  static std::string Binary() {
    return std::string(SPOTBATCH_SOURCE_DIR) + "/.deps/s3rver/node_modules/.bin/s3rver";
  }
  S3rver() {
    if (::access(Binary().c_str(), X_OK) != 0) return;
    const std::string log = dir_ / "s3rver.log";
    const std::string data = dir_ / "data";
    std::filesystem::create_directories(data);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      // Its continuation tokens are DES-encrypted, which OpenSSL 3 keeps in the legacy
      // provider: without it every truncated listing fails with InternalError.
      ::setenv("NODE_OPTIONS", "--openssl-legacy-provider", 1);
      const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(out, 1);
      ::dup2(out, 2);
      // --service-endpoint localhost: "<bucket>.s3.localhost" is virtual-host addressing.
      ::execl(Binary().c_str(), "s3rver", "-d", data.c_str(), "-a", "127.0.0.1", "-p", "0",
              "--silent", "--service-endpoint", "localhost", nullptr);
      ::_exit(127);
    }
    const std::regex listening("S3rver listening on 127\\.0\\.0\\.1:([0-9]+)");
    testing::WaitFor(
        [&] {
          if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
            pid_ = -1;
            return true;
          }
          std::smatch m;
          const std::string text = testing::ReadFile(log);
          if (!std::regex_search(text, m, listening)) return false;
          port_ = m[1].str();
          return true;
        },
        std::chrono::seconds(60));
  }
  ~S3rver() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  const std::string& port() const { return port_; }  // "" when it did not start

 private:
  TempDir dir_;
  pid_t pid_ = -1;
  std::string port_;
};
S3rver& S3rverServer() {
  static S3rver* s = new S3rver();
  return *s;
}

testing::StaticCredentials& MotoKeys() {
  static testing::StaticCredentials keys;
  return keys;
}
testing::StaticCredentials& S3rverKeys() {  // the keys s3rver knows (and checks signatures of)
  static testing::StaticCredentials keys("S3RVER", "S3RVER");
  return keys;
}

std::string FreshBucket(const std::string& tag = "t") { return "sb-" + tag + "-" + RandomHex(6); }

// Runs the AWS CLI against moto; its output (stdout and stderr) and whether it exited 0.
std::pair<std::string, bool> Aws(const std::string& args) {
  return testing::Aws(Moto().endpoint(), args);
}

// What the contract's stores are made with: small parts, so that its 3 MiB file is a
// multipart upload of 1 MiB parts and a GetToFile of four ranges.
S3Options SmallParts(std::string endpoint, S3Addressing addressing) {
  S3Options o;
  o.endpoint = std::move(endpoint);
  o.addressing = addressing;
  o.multipart_threshold = 1 << 20;
  o.part_size = 1 << 20;
  o.min_part_size = 256 << 10;
  // moto answers 500 now and then when one key is replaced by several writers at once ("I/O
  // operation on closed file" in its log): retried as S3's own 500s are.
  o.retry = {.max_attempts = 8, .base_delay_millis = 20, .max_delay_millis = 400};
  return o;
}

std::unique_ptr<S3ObjectStore> NewStore(S3Options o, CredentialsProvider& keys = MotoKeys()) {
  auto store = S3ObjectStore::New(std::move(o), keys, SystemClock());
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(*store) : nullptr;
}

// The contract writes to one-letter buckets ("b", "c"), which S3 does not allow: each test
// maps them to fresh buckets of its own, made with the adapter's CreateBucket. Keys under
// "_spotbatch/" go to the adapter unchanged (its work bucket, fresh for each test too). A
// listing of a prefix without '/' (the contract's List("") for "everything"), which the
// adapter refuses, is the union of the mapped buckets' listings.
class BucketMappedStore : public ObjectStore {
 public:
  BucketMappedStore(std::unique_ptr<S3ObjectStore> s3, std::map<std::string, std::string> buckets)
      : s3_(std::move(s3)), to_s3_(std::move(buckets)) {
    for (const auto& [name, real] : to_s3_) to_port_[real] = name;
  }
  S3ObjectStore& s3() { return *s3_; }
  const std::map<std::string, std::string>& buckets() const { return to_s3_; }

  Result<ObjectInfo> Put(std::string_view key, std::string_view data) override {
    return Back(s3_->Put(Map(key), data));
  }
  Result<ObjectInfo> PutFile(std::string_view key, const std::string& path) override {
    return Back(s3_->PutFile(Map(key), path));
  }
  Result<std::string> Get(std::string_view key) override { return s3_->Get(Map(key)); }
  Result<std::string> GetRange(std::string_view key, uint64_t offset, uint64_t length) override {
    return s3_->GetRange(Map(key), offset, length);
  }
  Status GetToFile(std::string_view key, const std::string& path) override {
    return s3_->GetToFile(Map(key), path);
  }
  Result<ObjectInfo> Stat(std::string_view key) override { return Back(s3_->Stat(Map(key))); }
  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override {
    std::vector<std::string> prefixes;
    if (prefix.find('/') != std::string_view::npos) {
      prefixes.push_back(Map(prefix));
    } else {
      for (const auto& [name, real] : to_s3_) {
        if (name.starts_with(prefix)) prefixes.push_back(real + "/");
      }
      if (std::string_view("_spotbatch").starts_with(prefix)) prefixes.push_back("_spotbatch/");
    }
    std::vector<ObjectInfo> all;
    for (const std::string& p : prefixes) {
      SB_ASSIGN_OR_RETURN(std::vector<ObjectInfo> some, s3_->List(p));
      for (ObjectInfo& o : some) {
        o.key = Unmap(o.key);
        all.push_back(std::move(o));
      }
    }
    std::sort(all.begin(), all.end(),
              [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
    return all;
  }
  Status Copy(std::string_view src, std::string_view dst) override {
    return s3_->Copy(Map(src), Map(dst));
  }
  Status Delete(std::string_view key) override { return s3_->Delete(Map(key)); }

 private:
  std::string Map(std::string_view key) const {
    const size_t slash = key.find('/');
    auto it = to_s3_.find(std::string(key.substr(0, slash)));
    if (slash == std::string_view::npos || it == to_s3_.end()) return std::string(key);
    return it->second + std::string(key.substr(slash));
  }
  std::string Unmap(const std::string& key) const {
    const size_t slash = key.find('/');
    auto it = to_port_.find(key.substr(0, slash));
    if (slash == std::string::npos || it == to_port_.end()) return key;
    return it->second + key.substr(slash);
  }
  Result<ObjectInfo> Back(Result<ObjectInfo> info) const {
    if (info.ok()) info->key = Unmap(info->key);
    return info;
  }

  std::unique_ptr<S3ObjectStore> s3_;
  std::map<std::string, std::string> to_s3_, to_port_;
};

// A contract adapter on one S3 service: `endpoint` gives its endpoint (checked when a test
// opens a store, so that a missing server fails that test, not the binary).
// s3rver cannot pass every contract test; those it cannot are skipped on it, with the reason
// (docs/adapters.md lists them).
struct Quirks {
  bool s3rver = false;
};
const char* S3rverCannot(const std::string& test) {
  if (test == "ConcurrentPutsOfOneKeyLeaveOneWholeObject" ||
      test == "ListingDuringConcurrentWritesShowsWholeObjects" ||
      test == "ConcurrentReaderNeverSeesPartialObject") {
    return "s3rver 3.7.1 writes an object in place, not atomically: a reader or a listing can "
           "see half of one writer's bytes, or one version's ETag with another's size";
  }
  return nullptr;
}
contract::ObjectStoreAdapter S3Adapter(std::string name, std::function<std::string()> endpoint,
                                       S3Addressing addressing, CredentialsProvider* keys,
                                       int list_page_size = 1000, Quirks quirks = {}) {
  auto options = [=] {
    S3Options o = SmallParts(endpoint(), addressing);
    o.list_page_size = list_page_size;
    o.head_before_download = quirks.s3rver;
    return o;
  };
  return {
      name,
      [=](const std::string&) -> std::unique_ptr<ObjectStore> {
        if (quirks.s3rver && ::access(S3rver::Binary().c_str(), X_OK) != 0) {
          GTEST_MESSAGE_(
              ("s3rver is not installed at " + S3rver::Binary() + ": scripts/setup installs it")
                  .c_str(),
              ::testing::TestPartResult::kSkip);
          // Never used: the skip keeps the test body from running.
          S3Options unused = SmallParts("http://127.0.0.1:1", addressing);
          return std::make_unique<BucketMappedStore>(NewStore(unused, *keys),
                                                     std::map<std::string, std::string>{});
        }
        if (endpoint().empty()) {
          ADD_FAILURE() << name << ": the S3 server did not start";
          return nullptr;
        }
        const std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
        // "ListIsSortedAndFilteredByPrefix/S3rverPathStyle": the test, then the instance.
        if (const char* why =
                quirks.s3rver ? S3rverCannot(test.substr(0, test.find('/'))) : nullptr) {
          // A skip recorded in SetUp keeps the test body from running.
          GTEST_MESSAGE_(why, ::testing::TestPartResult::kSkip);
        }
        S3Options o = options();
        o.work_bucket = FreshBucket("work");
        auto s3 = NewStore(o, *keys);
        if (!s3) return nullptr;
        std::map<std::string, std::string> buckets;
        for (const char* b : {"b", "c", "out", "nothing"}) buckets[b] = FreshBucket(b);
        for (const std::string& b : {buckets["b"], buckets["c"], buckets["out"], o.work_bucket}) {
          Status s = s3->CreateBucket(b);
          if (!s.ok()) {
            ADD_FAILURE() << "CreateBucket " << b << ": " << s.ToString();
            return nullptr;
          }
        }
        return std::make_unique<BucketMappedStore>(std::move(s3), std::move(buckets));
      },
      [=](ObjectStore& first, const std::string&) -> std::unique_ptr<ObjectStore> {
        auto& mapped = static_cast<BucketMappedStore&>(first);
        return std::make_unique<BucketMappedStore>(NewStore(mapped.s3().options(), *keys),
                                                   mapped.buckets());
      },
  };
}

std::string MotoPathEndpoint() { return Moto().endpoint(); }  // http://127.0.0.1:PORT
// moto reads the bucket from a Host "<bucket>.s3.localhost:PORT" (any host with a dot that is
// not an IP address or "localhost..."); curl resolves *.localhost to loopback by itself.
std::string MotoVirtualHostEndpoint() {
  return Moto().endpoint().empty() ? "" : "http://s3.localhost:" + MotoPort();
}
std::string S3rverPathEndpoint() {
  return S3rverServer().port().empty() ? "" : "http://127.0.0.1:" + S3rverServer().port();
}
std::string S3rverVirtualHostEndpoint() {
  return S3rverServer().port().empty() ? "" : "http://s3.localhost:" + S3rverServer().port();
}

using contract::ObjectStoreContract;
INSTANTIATE_TEST_SUITE_P(
    S3, ObjectStoreContract,
    ::testing::Values(
        S3Adapter("MotoPathStyle", MotoPathEndpoint, S3Addressing::kPathStyle, &MotoKeys()),
        // Listing pages of 2 keys: every listing of the contract follows continuation tokens.
        S3Adapter("MotoVirtualHostSmallPages", MotoVirtualHostEndpoint, S3Addressing::kVirtualHost,
                  &MotoKeys(), 2),
        S3Adapter("S3rverPathStyle", S3rverPathEndpoint, S3Addressing::kPathStyle, &S3rverKeys(),
                  1000, {.s3rver = true}),
        S3Adapter("S3rverVirtualHost", S3rverVirtualHostEndpoint, S3Addressing::kVirtualHost,
                  &S3rverKeys(), 3, {.s3rver = true})),
    contract::AdapterName);

// --- The adapter's own behaviour, on moto ---

class S3StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(Moto().endpoint().empty()) << "moto_server did not start:\n" << Moto().log();
    S3Options o = SmallParts(MotoPathEndpoint(), S3Addressing::kPathStyle);
    o.work_bucket = work_;
    store_ = NewStore(o);
    ASSERT_NE(store_, nullptr);
    ASSERT_TRUE(store_->CreateBucket(bucket_).ok());
    ASSERT_TRUE(store_->CreateBucket(work_).ok());
  }
  std::string Key(const std::string& object) const { return bucket_ + "/" + object; }

  const std::string bucket_ = FreshBucket();
  const std::string work_ = FreshBucket("work");
  std::unique_ptr<S3ObjectStore> store_;
};

TEST_F(S3StoreTest, BucketNamesAreCheckedBeforeAnyRequest) {
  const int64_t before = store_->requests_sent();
  for (const std::string& key :
       {std::string("ab/x"), std::string("Upper/x"), std::string("under_score/x"),
        std::string("-dash/x"), std::string("dot./x"), std::string("a..b/x"),
        std::string("192.168.0.1/x"), std::string("xn--abc/x"), std::string(64, 'a') + "/x"}) {
    auto put = store_->Put(key, "x");
    EXPECT_EQ(put.status().code(), StatusCode::kInvalidArgument) << key;
    EXPECT_NE(put.status().message().find(key.substr(0, 20)), std::string::npos)
        << "names the key: " << put.status().message();
  }
  EXPECT_EQ(store_->Put("onlybucket", "x").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->List("nobucketslash").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->List("").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->requests_sent(), before);
  EXPECT_TRUE(ValidateS3BucketName("my.bucket-1").ok());
  EXPECT_TRUE(ValidateS3BucketName(std::string(63, 'a')).ok());
}

TEST_F(S3StoreTest, SpotbatchKeysLiveInTheWorkBucketAndNeedOne) {
  ASSERT_TRUE(store_->Put("_spotbatch/staging/t.0", "staged").ok());
  // The object is "_spotbatch/staging/t.0" of the work bucket, as the CLI sees it.
  auto [out, ok] =
      Aws("s3api get-object --bucket " + work_ + " --key _spotbatch/staging/t.0 /dev/stdout");
  EXPECT_TRUE(ok) << out;
  EXPECT_NE(out.find("staged"), std::string::npos) << out;
  auto own = store_->List("_spotbatch/");
  ASSERT_TRUE(own.ok());
  ASSERT_EQ(own->size(), 1u);
  EXPECT_EQ((*own)[0].key, "_spotbatch/staging/t.0");
  auto in_work = store_->List(work_ + "/");
  ASSERT_TRUE(in_work.ok());
  ASSERT_EQ(in_work->size(), 1u);
  EXPECT_EQ((*in_work)[0].key, work_ + "/_spotbatch/staging/t.0");

  S3Options no_work = store_->options();
  no_work.work_bucket.clear();
  auto bare = NewStore(no_work);
  EXPECT_EQ(bare->Put("_spotbatch/x", "x").status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(bare->List("_spotbatch/").status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(bare->Put("_other/x", "x").status().code(), StatusCode::kInvalidArgument);
}

// Keys reach S3 literally: what the CLI (an independent encoder) lists is what was put.
TEST_F(S3StoreTest, KeysAreEncodedSoThatAnotherClientSeesThemLiterally) {
  const std::vector<std::string> objects = {"a b+c%2B=&?#", "ünï/cödé €", "x/~*'()!$,;:@",
                                            "percent%/%41"};
  for (const std::string& o : objects) ASSERT_TRUE(store_->Put(Key(o), o).ok()) << o;
  auto [out, ok] = Aws("s3api list-objects-v2 --bucket " + bucket_);
  ASSERT_TRUE(ok) << out;
  const nlohmann::json listed = nlohmann::json::parse(out);
  std::set<std::string> keys;
  for (const auto& c : listed["Contents"]) keys.insert(c["Key"].get<std::string>());
  EXPECT_EQ(keys, std::set<std::string>(objects.begin(), objects.end()));
  for (const std::string& o : objects) EXPECT_EQ(*store_->Get(Key(o)), o);
  // CopyObject names its source in a header, encoded the same way.
  for (const std::string& o : objects) {
    ASSERT_TRUE(store_->Copy(Key(o), Key("copies/" + o)).ok()) << o;
    EXPECT_EQ(*store_->Get(Key("copies/" + o)), o);
  }
}

TEST_F(S3StoreTest, VirtualHostAndPathStyleReachTheSameObjects) {
  S3Options vh = store_->options();
  vh.endpoint = MotoVirtualHostEndpoint();
  vh.addressing = S3Addressing::kVirtualHost;
  auto vstore = NewStore(vh);
  ASSERT_TRUE(vstore->Put(Key("via-vhost"), "v").ok());
  EXPECT_EQ(*store_->Get(Key("via-vhost")), "v");
  ASSERT_TRUE(store_->Put(Key("via-path"), "p").ok());
  EXPECT_EQ(*vstore->Get(Key("via-path")), "p");
  EXPECT_EQ(vstore->List(bucket_ + "/")->size(), 2u);
  // A virtual-host request reaches moto only if Host names the bucket: a wrong Host
  // ("s3.localhost" alone) would make moto see bucket "s3", which does not exist.
  EXPECT_EQ(vstore->Get(Key("missing")).status().code(), StatusCode::kNotFound);
}

// Virtual-host mode on the IP endpoint: "<bucket>.127.0.0.1" does not resolve, so only a
// bucket addressed path-style (one with a dot) can be reached at all.
TEST_F(S3StoreTest, DottedBucketsAreAddressedPathStyleInVirtualHostMode) {
  const std::string dotted = "sb.dot." + RandomHex(4);
  ASSERT_TRUE(store_->CreateBucket(dotted).ok());
  ASSERT_TRUE(store_->Put(dotted + "/k", "dotted").ok());
  S3Options vh = store_->options();
  vh.addressing = S3Addressing::kVirtualHost;
  auto vstore = NewStore(vh);
  auto got = vstore->Get(dotted + "/k");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "dotted");
  EXPECT_FALSE(vstore->Get(Key("k")).ok()) << "a dotless bucket went virtual-host";
}

TEST_F(S3StoreTest, ListFollowsContinuationTokens) {
  S3Options o = store_->options();
  o.list_page_size = 2;
  auto paged = NewStore(o);
  std::vector<std::string> want;
  for (int i = 0; i < 7; ++i) {
    const std::string k = Key("p/" + std::to_string(i));
    ASSERT_TRUE(paged->Put(k, "x").ok());
    want.push_back(k);
  }
  ASSERT_TRUE(paged->Put(Key("q"), "not under p/").ok());
  const int64_t before = paged->requests_sent();
  auto list = paged->List(bucket_ + "/p/");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  std::vector<std::string> got;
  for (const auto& o : *list) got.push_back(o.key);
  EXPECT_EQ(got, want);
  EXPECT_EQ(paged->requests_sent() - before, 4) << "pages of 2, 2, 2, 1";
  EXPECT_TRUE(paged->List(FreshBucket("none") + "/")->empty()) << "a missing bucket lists nothing";
}

TEST_F(S3StoreTest, RangesPastTheEndAndZeroLength) {
  ASSERT_TRUE(store_->Put(Key("r"), "0123456789").ok());
  EXPECT_EQ(*store_->GetRange(Key("r"), 10, 5), "");
  EXPECT_EQ(*store_->GetRange(Key("r"), 1000, 5), "");
  EXPECT_EQ(*store_->GetRange(Key("r"), 9, UINT64_MAX), "9");
  EXPECT_EQ(*store_->GetRange(Key("r"), 3, 0), "");
  EXPECT_EQ(store_->GetRange(Key("missing"), 3, 0).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(store_->Put(Key("empty"), "").ok());
  EXPECT_EQ(*store_->GetRange(Key("empty"), 0, 5), "");
}

TEST_F(S3StoreTest, StatReadsSizeUnquotedEtagAndTime) {
  const int64_t before = SystemClock().NowUnixMillis();
  ASSERT_TRUE(store_->Put(Key("s"), "hello").ok());
  auto info = store_->Stat(Key("s"));
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->size, 5u);
  EXPECT_EQ(info->etag, "5d41402abc4b2a76b9719d911017c592");
  EXPECT_NEAR(static_cast<double>(info->modified_unix_millis), static_cast<double>(before), 5000);
}

TEST_F(S3StoreTest, DeleteOfMissingObjectSucceedsButMissingBucketIsNotFound) {
  EXPECT_TRUE(store_->Delete(Key("never")).ok());
  EXPECT_EQ(store_->Delete(FreshBucket("gone") + "/k").code(), StatusCode::kNotFound);
}

TEST_F(S3StoreTest, MultipartCopyGivesTheSameBytes) {
  std::string data(3 * 1024 * 1024 + 5, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7 % 253);
  ASSERT_TRUE(store_->Put(Key("big"), data).ok());
  Status copied = store_->CopyMultipart(Key("big"), Key("copy"));
  ASSERT_TRUE(copied.ok()) << copied.ToString();
  EXPECT_EQ(*store_->Get(Key("copy")), data);
  auto info = store_->Stat(Key("copy"));
  EXPECT_NE(info->etag.find("-4"), std::string::npos) << info->etag << ": four 1 MiB parts";
  EXPECT_EQ(store_->CopyMultipart(Key("nothing"), Key("copy2")).code(), StatusCode::kNotFound);
}

std::string Pattern(size_t size, unsigned seed) {
  std::string data(size, '\0');
  uint64_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < size; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    data[i] = static_cast<char>(x >> 56);
  }
  return data;
}

// An upload stopped after some parts (as a worker stops when its instance is reclaimed) is
// continued by the next call: finished parts whose bytes match are not sent again, one whose
// bytes changed in the file is, and the object is the file as it is now.
TEST_F(S3StoreTest, ResumedUploadReusesOnlyPartsWithTheFilesBytes) {
  TempDir local;
  std::string data = Pattern(6 * 1024 * 1024 + 100, 1);  // 7 parts of 1 MiB
  testing::WriteFile(local / "f", data);
  ResumableUpload first;
  std::atomic<int> done{0};
  first.keep_going = [&]() { return ++done < 4; };
  std::string recorded;
  first.on_started = [&](const ResumableUpload& u) { recorded = u.id; };
  S3Options o = store_->options();
  o.parallelism = 1;
  auto serial = NewStore(o);
  auto stopped = serial->PutFileMultipart(Key("f"), local / "f", first);
  ASSERT_EQ(stopped.status().code(), StatusCode::kUnavailable) << stopped.status().ToString();
  EXPECT_EQ(recorded, first.id);
  EXPECT_EQ(first.parts_uploaded, 4);
  EXPECT_EQ(store_->Stat(Key("f")).status().code(), StatusCode::kNotFound) << "not complete";

  data[1024 * 1024 + 10] ^= 1;  // part 2 now differs
  testing::WriteFile(local / "f", data);
  ResumableUpload second;  // no id: found by the key
  auto info = serial->PutFileMultipart(Key("f"), local / "f", second);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_TRUE(second.resumed);
  EXPECT_EQ(second.id, first.id);
  EXPECT_EQ(second.parts_total, 7);
  EXPECT_EQ(second.parts_reused, 3) << "parts 1, 3, 4";
  EXPECT_EQ(second.parts_uploaded, 4) << "part 2 again, and 5, 6, 7";
  EXPECT_EQ(*store_->Get(Key("f")), data);
  EXPECT_EQ(info->etag, store_->Stat(Key("f"))->etag);
  EXPECT_TRUE(store_->ListUploads(Key("f"))->empty()) << "completed";
}

TEST_F(S3StoreTest, ResumingWithAnUnknownUploadIdStartsAnew) {
  TempDir local;
  const std::string data = Pattern(2 * 1024 * 1024, 2);
  testing::WriteFile(local / "f", data);
  ResumableUpload u;
  u.id = "no-such-upload";
  auto info = store_->PutFileMultipart(Key("f"), local / "f", u);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_FALSE(u.resumed);
  EXPECT_NE(u.id, "no-such-upload");
  EXPECT_EQ(*store_->Get(Key("f")), data);
}

TEST_F(S3StoreTest, AFailureThatRetryingWontCureAbortsTheUpload) {
  TempDir local;
  testing::WriteFile(local / "f", Pattern(3 * 1024 * 1024, 3));
  S3Options o = store_->options();
  o.parallelism = 1;
  auto serial = NewStore(o);
  ResumableUpload u;
  // The file shrinks under the upload after its first part: a local fault, not retryable.
  u.keep_going = [&]() {
    std::filesystem::resize_file(local / "f", 1000);
    return true;
  };
  auto r = serial->PutFileMultipart(Key("f"), local / "f", u);
  ASSERT_EQ(r.status().code(), StatusCode::kInternal) << r.status().ToString();
  EXPECT_TRUE(store_->ListUploads(Key("f"))->empty()) << "aborted";
  EXPECT_EQ(store_->Stat(Key("f")).status().code(), StatusCode::kNotFound);
}

// Requests per operation, as docs/adapters.md reports them.
TEST_F(S3StoreTest, RequestsPerOperation) {
  TempDir local;
  testing::WriteFile(local / "small", "out");
  testing::WriteFile(local / "big", Pattern(3 * 1024 * 1024 + 1, 4));
  auto count = [&](const std::function<void()>& op) {
    const int64_t before = store_->requests_sent();
    op();
    return store_->requests_sent() - before;
  };
  EXPECT_EQ(count([&] { ASSERT_TRUE(store_->PutFile(Key("s"), local / "small").ok()); }), 1);
  // ListMultipartUploads, CreateMultipartUpload, 4 UploadPart, CompleteMultipartUpload.
  EXPECT_EQ(count([&] { ASSERT_TRUE(store_->PutFile(Key("b"), local / "big").ok()); }), 7);
  EXPECT_EQ(count([&] { ASSERT_TRUE(store_->Copy(Key("s"), Key("s2")).ok()); }), 1);
  EXPECT_EQ(count([&] { ASSERT_TRUE(store_->Delete(Key("s")).ok()); }), 1);
  EXPECT_EQ(count([&] { ASSERT_TRUE(store_->GetToFile(Key("s2"), local / "o").ok()); }), 1);
  EXPECT_EQ(count([&] { ASSERT_TRUE(store_->GetToFile(Key("b"), local / "o").ok()); }), 4);
  EXPECT_EQ(count([&] { ASSERT_TRUE(store_->Stat(Key("b")).ok()); }), 1);
}

// --- Cross-checks with the AWS CLI, at the issue's 50 MiB and S3's real 5 MiB parts ---

class S3CrossCheckTest : public S3StoreTest {
 protected:
  static constexpr size_t kSize = 50 * 1024 * 1024;
  S3Options RealParts() const {
    S3Options o = store_->options();
    o.multipart_threshold = 8 << 20;
    o.part_size = 5 << 20;  // 10 parts
    o.min_part_size = kS3MinPartBytes;
    return o;
  }
};

// A process uploading 50 MiB in 5 MiB parts is killed once ListParts shows some parts done;
// another process (this one) continues the upload with PutFile and sends only the rest; the
// CLI reads back the exact bytes.
TEST_F(S3CrossCheckTest, UploadKilledMidwayIsResumedByAnotherProcessAndReadByTheCli) {
  TempDir local;
  const std::string data = Pattern(kSize, 5);
  testing::WriteFile(local / "big", data);
  const std::string key = Key("big.bin");
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t child = ::fork();
  if (child == 0) {
    // The uploader: records its upload id on the pipe, then stalls for good after its third
    // part (as a process does when its machine is taken away), until it is killed.
    ::close(pipe_fds[0]);
    S3Options o = RealParts();
    o.parallelism = 2;
    auto uploader = S3ObjectStore::New(o, MotoKeys(), SystemClock());
    if (!uploader.ok()) ::_exit(2);
    ResumableUpload u;
    u.on_started = [&](const ResumableUpload& up) {
      const std::string line = up.id + "\n";
      (void)!::write(pipe_fds[1], line.data(), line.size());
    };
    std::atomic<int> parts{0};
    u.keep_going = [&]() {
      if (++parts >= 3) {
        while (true) ::pause();
      }
      return true;
    };
    (void)(*uploader)->PutFileMultipart(key, local / "big", u);
    ::_exit(3);  // not reached: killed while stalled
  }
  ::close(pipe_fds[1]);
  std::string upload_id;
  char c;
  while (::read(pipe_fds[0], &c, 1) == 1 && c != '\n') upload_id += c;
  ::close(pipe_fds[0]);
  ASSERT_FALSE(upload_id.empty()) << "the uploader wrote no upload id";
  size_t finished = 0;
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        auto parts = store_->ListParts(key, upload_id);
        finished = parts.ok() ? parts->size() : 0;
        return finished >= 3;
      },
      std::chrono::seconds(60)))
      << "parts listed: " << finished;
  ::kill(child, SIGKILL);
  int wstatus = 0;
  ::waitpid(child, &wstatus, 0);
  ASSERT_TRUE(WIFSIGNALED(wstatus)) << "the uploader ended by itself";
  EXPECT_EQ(store_->Stat(key).status().code(), StatusCode::kNotFound);

  auto resumer = NewStore(RealParts());
  ResumableUpload u;
  auto info = resumer->PutFileMultipart(key, local / "big", u);  // the id found by the key
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_TRUE(u.resumed);
  EXPECT_EQ(u.id, upload_id);
  EXPECT_EQ(u.parts_total, 10);
  EXPECT_GT(u.parts_reused, 0);
  EXPECT_GE(u.parts_reused, 3);
  EXPECT_LT(u.parts_uploaded, u.parts_total);
  EXPECT_EQ(u.parts_reused + u.parts_uploaded, u.parts_total);
  std::printf("resumed: %d of %d parts reused, %d uploaded (%zu were listed at the kill)\n",
              u.parts_reused, u.parts_total, u.parts_uploaded, finished);

  auto [out, ok] = Aws("s3 cp s3://" + key + " " + (local / "by-cli"));
  ASSERT_TRUE(ok) << out;
  EXPECT_TRUE(testing::ReadFile(local / "by-cli") == data) << "the CLI read other bytes";
  auto [head, head_ok] = Aws("s3api head-object --bucket " + bucket_ + " --key big.bin");
  ASSERT_TRUE(head_ok) << head;
  EXPECT_EQ(UnquoteETag(nlohmann::json::parse(head)["ETag"].get<std::string>()), info->etag);
  EXPECT_NE(info->etag.find("-10"), std::string::npos) << info->etag;
}

TEST_F(S3CrossCheckTest, WhatTheCliUploadsGetToFileReadsIdentically) {
  TempDir local;
  const std::string data = Pattern(kSize, 6);
  testing::WriteFile(local / "up", data);
  auto [out, ok] = Aws("s3 cp " + (local / "up") + " s3://" + Key("from-cli.bin"));
  ASSERT_TRUE(ok) << out;
  auto reader = NewStore(RealParts());
  const int64_t before = reader->requests_sent();
  ASSERT_TRUE(reader->GetToFile(Key("from-cli.bin"), local / "down").ok());
  EXPECT_EQ(reader->requests_sent() - before, 10) << "ten 5 MiB ranges";
  EXPECT_TRUE(testing::ReadFile(local / "down") == data) << "GetToFile wrote other bytes";
  auto info = reader->Stat(Key("from-cli.bin"));
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->size, kSize);
  // Nothing but the file is left in the directory (the temporary one was renamed).
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(local.path()),
                          std::filesystem::directory_iterator()),
            2);
}

// --- Answers moto never gives, from a scripted server ---

// A scripted S3 on loopback (path-style): each test installs the handlers it needs.
class ScriptedS3 {
 public:
  ScriptedS3() {
    server_.set_keep_alive_max_count(1000);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    testing::WaitFor([&] { return server_.is_running(); }, std::chrono::seconds(10));
  }
  ~ScriptedS3() {
    server_.stop();
    thread_.join();
  }
  httplib::Server& server() { return server_; }
  std::unique_ptr<S3ObjectStore> Store() {
    S3Options o = SmallParts("http://127.0.0.1:" + std::to_string(port_), S3Addressing::kPathStyle);
    o.retry = {.max_attempts = 4, .base_delay_millis = 1, .max_delay_millis = 5};
    return NewStore(o);
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

constexpr char kInternalErrorBody[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InternalError</Code>"
    "<Message>We encountered an internal error. Please try again.</Message></Error>";

// S3 may answer CopyObject 200 and then fail: the <Error> in the body is the answer.
TEST(S3ScriptedTest, CopyAnsweredOkWithAnErrorBodyIsRetriedOrFails) {
  ScriptedS3 s3;
  std::atomic<int> copies{0};
  s3.server().Put("/bucket/dst", [&](const httplib::Request& req, httplib::Response& res) {
    res.status = 200;
    if (++copies <= 2) {
      res.set_content(kInternalErrorBody, "application/xml");
    } else {
      res.set_content(
          "<CopyObjectResult><ETag>\"9b2cf535f27731c974343645a3985328\"</ETag>"
          "</CopyObjectResult>",
          "application/xml");
    }
  });
  s3.server().Put("/bucket/denied", [&](const httplib::Request&, httplib::Response& res) {
    res.status = 200;
    res.set_content("<Error><Code>AccessDenied</Code></Error>", "application/xml");
  });
  auto store = s3.Store();
  EXPECT_TRUE(store->Copy("bucket/a b+c", "bucket/dst").ok());
  EXPECT_EQ(copies.load(), 3) << "two InternalErrors in a 200, then the copy";
  const int64_t before = store->requests_sent();
  Status denied = store->Copy("bucket/a b+c", "bucket/denied");
  EXPECT_FALSE(denied.ok());
  EXPECT_NE(denied.message().find("AccessDenied"), std::string::npos) << denied.ToString();
  EXPECT_EQ(store->requests_sent() - before, 1) << "not retried";
}

// CompleteMultipartUpload too; and a part S3 refuses for good aborts the upload.
TEST(S3ScriptedTest, CompleteAnsweredOkWithAnErrorBodyIsRetried) {
  ScriptedS3 s3;
  std::atomic<int> completes{0}, aborts{0}, parts{0};
  std::atomic<bool> refuse_parts{false};
  s3.server().Get("/bucket", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(
        "<ListMultipartUploadsResult><IsTruncated>false</IsTruncated>"
        "</ListMultipartUploadsResult>",
        "application/xml");
  });
  s3.server().Post("/bucket/k", [&](const httplib::Request& req, httplib::Response& res) {
    if (req.has_param("uploads")) {
      res.set_content(
          "<InitiateMultipartUploadResult><UploadId>u1</UploadId>"
          "</InitiateMultipartUploadResult>",
          "application/xml");
    } else if (++completes == 1) {
      res.set_content(kInternalErrorBody, "application/xml");
    } else {
      res.set_content(
          "<CompleteMultipartUploadResult><ETag>\"done\"</ETag>"
          "</CompleteMultipartUploadResult>",
          "application/xml");
    }
  });
  s3.server().Put("/bucket/k", [&](const httplib::Request& req, httplib::Response& res) {
    ++parts;
    if (refuse_parts) {
      res.status = 403;
      res.set_content("<Error><Code>AccessDenied</Code></Error>", "application/xml");
      return;
    }
    Md5 md5;
    md5.Update(req.body.data(), req.body.size());
    res.set_header("ETag", "\"" + md5.FinishHex() + "\"");
  });
  s3.server().Delete("/bucket/k", [&](const httplib::Request& req, httplib::Response& res) {
    EXPECT_EQ(req.get_param_value("uploadId"), "u1");
    ++aborts;
    res.status = 204;
  });
  TempDir local;
  testing::WriteFile(local / "f", Pattern(2 * 1024 * 1024 + 1, 9));
  auto store = s3.Store();
  auto info = store->PutFile("bucket/k", local / "f");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->etag, "done");
  EXPECT_EQ(completes.load(), 2);
  EXPECT_EQ(parts.load(), 3);
  EXPECT_EQ(aborts.load(), 0);

  refuse_parts = true;
  auto refused = store->PutFile("bucket/k", local / "f");
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition)
      << refused.status().ToString();
  EXPECT_EQ(aborts.load(), 1) << "access denied is not retried: the upload is aborted";
}

// --- Status codes of S3's errors ---

TEST(StatusCodeOfS3Error, SaysWhatToDo) {
  EXPECT_EQ(StatusCodeOfS3Error(503, "SlowDown"), StatusCode::kUnavailable);
  EXPECT_EQ(StatusCodeOfS3Error(500, "InternalError"), StatusCode::kUnavailable);
  EXPECT_EQ(StatusCodeOfS3Error(400, "BadDigest"), StatusCode::kUnavailable);
  EXPECT_EQ(StatusCodeOfS3Error(403, "AccessDenied"), StatusCode::kFailedPrecondition);
  EXPECT_EQ(StatusCodeOfS3Error(403, "SignatureDoesNotMatch"), StatusCode::kFailedPrecondition);
  EXPECT_EQ(StatusCodeOfS3Error(404, "NoSuchKey"), StatusCode::kNotFound);
  EXPECT_EQ(StatusCodeOfS3Error(404, "NoSuchUpload"), StatusCode::kNotFound);
  EXPECT_EQ(StatusCodeOfS3Error(412, "PreconditionFailed"), StatusCode::kAborted);
  EXPECT_EQ(StatusCodeOfS3Error(400, "InvalidPart"), StatusCode::kInvalidArgument);
  EXPECT_EQ(StatusCodeOfS3Error(409, "BucketAlreadyOwnedByYou"), StatusCode::kAlreadyExists);
  EXPECT_EQ(StatusCodeOfS3Error(404, ""), StatusCode::kNotFound) << "HEAD: no body";
  EXPECT_EQ(StatusCodeOfS3Error(502, "Whatever"), StatusCode::kUnavailable);
}

TEST(S3OptionsTest, RefusesWhatS3CannotDo) {
  auto with = [](const std::function<void(S3Options&)>& change) {
    S3Options o;
    o.endpoint = "http://127.0.0.1:1";
    change(o);
    return S3ObjectStore::New(o, MotoKeys(), SystemClock()).status().code();
  };
  EXPECT_EQ(with([](S3Options&) {}), StatusCode::kOk);
  EXPECT_EQ(with([](S3Options& o) { o.part_size = 1 << 20; }), StatusCode::kInvalidArgument);
  EXPECT_EQ(with([](S3Options& o) { o.parallelism = 0; }), StatusCode::kInvalidArgument);
  EXPECT_EQ(with([](S3Options& o) { o.work_bucket = "Bad_Bucket"; }), StatusCode::kInvalidArgument);
  EXPECT_EQ(with([](S3Options& o) { o.endpoint = "ftp://x"; }), StatusCode::kInvalidArgument);
  EXPECT_EQ(with([](S3Options& o) { o.region.clear(); }), StatusCode::kInvalidArgument);
  S3Options aws;  // no endpoint: AWS's own
  aws.region = "eu-west-1";
  auto store = S3ObjectStore::New(aws, MotoKeys(), SystemClock());
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->options().endpoint, "https://s3.eu-west-1.amazonaws.com");
}

}  // namespace
}  // namespace spotbatch
