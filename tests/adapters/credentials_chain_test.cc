// The credentials chain (credentials_chain.h) with an injected environment, shared files in a
// temporary home directory, and the instance role served over real HTTP by the local
// metadata server; one FakeClock drives expiry and refresh.
#include "adapters/aws/credentials_chain.h"

#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "adapters/aws/provided_signer.h"
#include "adapters/local/local_imds_server.h"
#include "common/fake_clock.h"
#include "test_util.h"

namespace spotbatch {
namespace {

using testing::TempDir;
using testing::WriteFile;

// Every secret of these tests ends so: no message may hold it.
constexpr const char* kSecretTail = "SECRETEXAMPLEKEY";
std::string Secret(const std::string& who) { return who + "/K7MDENG" + kSecretTail; }

constexpr int64_t kHour = 3600 * 1000;
constexpr int64_t kMinute = 60 * 1000;

class CredentialsChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = LocalImdsServer::Start(clock_);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    imds_ = std::move(*server);
  }

  // The standard chain over env_, home_ and (with_imds) the local metadata server.
  std::unique_ptr<CredentialsProvider> Chain(const std::string& profile = "",
                                             bool with_imds = true) {
    StandardChainOptions o;
    o.env = [this](const std::string& name) -> std::optional<std::string> {
      const auto it = env_.find(name);
      if (it == env_.end()) return std::nullopt;
      return it->second;
    };
    o.home_dir = home_.path();
    o.profile = profile;
    if (with_imds) o.imds = ImdsOptions{imds_->endpoint(), 21600, 500};
    auto chain = NewStandardCredentialsChain(std::move(o), clock_);
    EXPECT_TRUE(chain.ok()) << chain.status().ToString();
    return chain.ok() ? std::move(*chain) : nullptr;
  }

  void SetEnvKeys(const std::string& id) {
    env_["AWS_ACCESS_KEY_ID"] = id;
    env_["AWS_SECRET_ACCESS_KEY"] = Secret(id);
  }
  void WriteCredentials(const std::string& text) { WriteFile(home_ / ".aws/credentials", text); }
  void WriteConfig(const std::string& text) { WriteFile(home_ / ".aws/config", text); }
  static std::string Profile(const std::string& section, const std::string& id) {
    return "[" + section + "]\naws_access_key_id = " + id +
           "\naws_secret_access_key = " + Secret(id) + "\n";
  }
  // The instance role's credentials, expiring at `expires`.
  void ServeRole(const std::string& id, int64_t expires) {
    imds_->SetRoleCredentials("spotbatch-worker", {id, Secret(id), "token-" + id, expires});
  }

  // The access key id the chain gives, or the failure's message.
  static std::string KeyIdOrError(CredentialsProvider& chain) {
    Result<AwsCredentials> c = chain.Get();
    return c.ok() ? c->access_key_id : c.status().ToString();
  }
  static Status GetStatus(CredentialsProvider& chain) {
    Result<AwsCredentials> c = chain.Get();
    EXPECT_FALSE(c.ok());
    if (!c.ok()) {
      EXPECT_EQ(c.status().message().find(kSecretTail), std::string::npos) << c.status().message();
    }
    return c.ok() ? Status::Ok() : c.status();
  }

  FakeClock clock_{1'764'000'000'000};
  std::unique_ptr<LocalImdsServer> imds_;
  std::map<std::string, std::string> env_;
  TempDir home_;
};

TEST_F(CredentialsChainTest, EnvironmentBeatsFilesBeatsInstanceRole) {
  SetEnvKeys("AKIDENV");
  WriteCredentials(Profile("default", "AKIDFILE"));
  ServeRole("ASIAROLE", clock_.NowUnixMillis() + 6 * kHour);
  EXPECT_EQ(KeyIdOrError(*Chain()), "AKIDENV");
  env_.clear();
  EXPECT_EQ(KeyIdOrError(*Chain()), "AKIDFILE");
  std::filesystem::remove(home_ / ".aws/credentials");
  EXPECT_EQ(KeyIdOrError(*Chain()), "ASIAROLE");
  EXPECT_EQ(imds_->role_credential_requests(), 1);  // only the last chain asked the service
}

TEST_F(CredentialsChainTest, EnvironmentSessionToken) {
  SetEnvKeys("ASIAENV");
  env_["AWS_SESSION_TOKEN"] = "FwoGZXIvYXdzE==";
  Result<AwsCredentials> c = Chain()->Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(*c, (AwsCredentials{"ASIAENV", Secret("ASIAENV"), "FwoGZXIvYXdzE==", std::nullopt}));
}

TEST_F(CredentialsChainTest, HalfSetEnvironmentNamesTheMissingVariable) {
  env_["AWS_ACCESS_KEY_ID"] = "AKIDENV";
  WriteCredentials(Profile("default", "AKIDFILE"));  // not a fallback for a broken environment
  Status s = GetStatus(*Chain());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "environment: AWS_SECRET_ACCESS_KEY is not set, but AWS_ACCESS_KEY_ID is");

  env_.clear();
  env_["AWS_SECRET_ACCESS_KEY"] = Secret("x");
  EXPECT_EQ(GetStatus(*Chain()).message(),
            "environment: AWS_ACCESS_KEY_ID is not set, but AWS_SECRET_ACCESS_KEY is");
  env_.clear();
  env_["AWS_SESSION_TOKEN"] = "tok";
  EXPECT_EQ(GetStatus(*Chain()).message(),
            "environment: AWS_SESSION_TOKEN is set but AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY are not");
  env_.clear();
  SetEnvKeys("AKID");
  env_["AWS_SECRET_ACCESS_KEY"] = "has a space " + Secret("x");
  EXPECT_EQ(GetStatus(*Chain()).message(),
            "environment: AWS_SECRET_ACCESS_KEY holds a space, a control byte or a non-ASCII "
            "byte");
}

TEST_F(CredentialsChainTest, ProfileFromTheOptionThenAwsProfileThenDefault) {
  WriteCredentials(Profile("default", "AKIDDEFAULT") + Profile("dev", "AKIDDEV") +
                   Profile("prod", "AKIDPROD"));
  EXPECT_EQ(KeyIdOrError(*Chain()), "AKIDDEFAULT");
  env_["AWS_PROFILE"] = "dev";
  EXPECT_EQ(KeyIdOrError(*Chain()), "AKIDDEV");
  EXPECT_EQ(KeyIdOrError(*Chain("prod")), "AKIDPROD");  // [aws] profile beats AWS_PROFILE
}

TEST_F(CredentialsChainTest, NamedProfileSkipsTheEnvironment) {
  // As the AWS CLI's --profile: a profile named in spotbatch's config is what the user chose.
  SetEnvKeys("AKIDENV");
  WriteCredentials(Profile("prod", "AKIDPROD"));
  EXPECT_EQ(KeyIdOrError(*Chain("prod")), "AKIDPROD");
  EXPECT_EQ(KeyIdOrError(*Chain()), "AKIDENV");  // AWS_PROFILE or none: the environment first
}

TEST_F(CredentialsChainTest, ConfigFileProfileSectionsAndSessionToken) {
  WriteConfig("[default]\nregion = us-east-1\n" + Profile("profile  dev", "ASIADEV") +
              "aws_session_token = IQoJb3JpZ2lu==\n" + Profile("dev", "AKIDNOTAPROFILE"));
  env_["AWS_PROFILE"] = "dev";
  Result<AwsCredentials> c = Chain()->Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(*c, (AwsCredentials{"ASIADEV", Secret("ASIADEV"), "IQoJb3JpZ2lu==", std::nullopt}));

  // "[default]" is the default profile in the config file (no "profile " prefix).
  WriteConfig(Profile("default", "AKIDCONFIGDEFAULT"));
  env_.clear();
  EXPECT_EQ(KeyIdOrError(*Chain("", false)), "AKIDCONFIGDEFAULT");
}

TEST_F(CredentialsChainTest, CredentialsFileWinsOverConfigFile) {
  WriteCredentials(Profile("dev", "AKIDCREDS"));
  WriteConfig(Profile("profile dev", "AKIDCONFIG") + "aws_session_token = fromconfig\n");
  Result<AwsCredentials> c = Chain("dev")->Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "AKIDCREDS");
  EXPECT_EQ(c->session_token, "");  // the three keys come from one file
}

TEST_F(CredentialsChainTest, FilesNamedByVariables) {
  WriteFile(home_ / "elsewhere/creds", Profile("default", "AKIDELSEWHERE"));
  env_["AWS_SHARED_CREDENTIALS_FILE"] = "~/elsewhere/creds";
  env_["AWS_CONFIG_FILE"] = home_ / "nothing-here";
  EXPECT_EQ(KeyIdOrError(*Chain()), "AKIDELSEWHERE");
}

TEST_F(CredentialsChainTest, MissingNamedProfileIsAnErrorNotAFallthrough) {
  WriteCredentials(Profile("default", "AKIDDEFAULT"));
  ServeRole("ASIAROLE", clock_.NowUnixMillis() + 6 * kHour);
  Status s = GetStatus(*Chain("prod"));
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "shared files (profile \"prod\"): profile \"prod\" is in neither " +
                             (home_ / ".aws/credentials") + " nor " + (home_ / ".aws/config") +
                             " (absent)");
  env_["AWS_PROFILE"] = "staging";
  EXPECT_EQ(GetStatus(*Chain()).code(), StatusCode::kNotFound);
  EXPECT_EQ(imds_->role_credential_requests(), 0);
}

TEST_F(CredentialsChainTest, BrokenProfilesAreErrorsWithoutSecrets) {
  WriteCredentials("[default]\naws_secret_access_key = " + Secret("x") + "\n");
  Status s = GetStatus(*Chain());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "shared files (profile \"default\"): " + (home_ / ".aws/credentials") +
                             ", profile \"default\": aws_access_key_id is missing, but "
                             "aws_secret_access_key is set");

  WriteCredentials("[default]\naws_secret_access_key " + Secret("x") + "\n");
  EXPECT_EQ(GetStatus(*Chain()).message(),
            "shared files (profile \"default\"): " + (home_ / ".aws/credentials") +
                ": line 2: neither a [section] nor a key = value line");

  WriteCredentials("");
  WriteConfig("[profile ci]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = default\n");
  s = GetStatus(*Chain("ci"));
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("role_arn, which this build does not support"), std::string::npos)
      << s.message();
}

TEST_F(CredentialsChainTest, NothingFoundNamesEverySourceAndWhy) {
  Status s = GetStatus(*Chain("", /*with_imds=*/false));
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(),
            "no AWS credentials found; tried environment: AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY are not set; shared files (profile \"default\"): profile "
            "\"default\" is in neither " +
                (home_ / ".aws/credentials") + " (absent) nor " + (home_ / ".aws/config") +
                " (absent); instance role: not tried: no metadata endpoint");

  // With the metadata service: it says the instance has no role.
  WriteConfig("[default]\nregion = us-east-1\n");
  s = GetStatus(*Chain());
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("shared files (profile \"default\"): profile \"default\" has no "
                             "aws_access_key_id in"),
            std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("; instance role: the instance has no role "
                             "(/latest/meta-data/iam/security-credentials/: HTTP 404)"),
            std::string::npos)
      << s.message();

  env_["AWS_EC2_METADATA_DISABLED"] = "true";
  EXPECT_NE(GetStatus(*Chain()).message().find(
                "instance role: not tried: AWS_EC2_METADATA_DISABLED is true"),
            std::string::npos);
}

TEST_F(CredentialsChainTest, UnreachableMetadataServiceIsUnavailable) {
  imds_->Reclaim();
  Status s = GetStatus(*Chain());
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);  // on EC2, asking again may succeed
  EXPECT_NE(s.message().find("no AWS credentials found; tried environment: "), std::string::npos);
  EXPECT_NE(s.message().find("; instance role: instance metadata /latest/api/token: "),
            std::string::npos)
      << s.message();
}

TEST_F(CredentialsChainTest, InstanceRoleOverHttp) {
  const int64_t expires = (clock_.NowUnixMillis() / 1000 + 6 * 3600) * 1000;
  ServeRole("ASIAROLE", expires);
  Result<AwsCredentials> c = Chain()->Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(*c, (AwsCredentials{"ASIAROLE", Secret("ASIAROLE"), "token-ASIAROLE", expires}));
  EXPECT_EQ(imds_->token_requests(), 1);  // IMDSv2: a session token first
}

TEST_F(CredentialsChainTest, InstanceRoleRefreshedOnlyWithinTheMargin) {
  const int64_t start = clock_.NowUnixMillis() / 1000 * 1000;
  const int64_t expires = start + kHour;
  ServeRole("ASIAFIRST", expires);
  auto chain = Chain();
  EXPECT_EQ(KeyIdOrError(*chain), "ASIAFIRST");
  EXPECT_EQ(imds_->role_credential_requests(), 1);
  ServeRole("ASIASECOND", start + 2 * kHour);  // rotated on the service

  // Until 5 minutes before expiry, the credentials at hand are used; the service is not asked.
  clock_.Advance(expires - kDefaultRefreshMarginMillis - 1 - clock_.NowUnixMillis());
  EXPECT_EQ(KeyIdOrError(*chain), "ASIAFIRST");
  EXPECT_EQ(imds_->role_credential_requests(), 1);
  clock_.Advance(1);
  EXPECT_EQ(KeyIdOrError(*chain), "ASIASECOND");
  EXPECT_EQ(imds_->role_credential_requests(), 2);
  EXPECT_EQ(KeyIdOrError(*chain), "ASIASECOND");
  EXPECT_EQ(imds_->role_credential_requests(), 2);
}

TEST_F(CredentialsChainTest, FailedRefreshKeepsUsableCredentialsUntilTheyExpire) {
  const int64_t expires = clock_.NowUnixMillis() + kHour;
  ServeRole("ASIAFIRST", expires);
  auto chain = Chain();
  EXPECT_EQ(KeyIdOrError(*chain), "ASIAFIRST");
  clock_.Advance(kHour - 2 * kMinute);  // inside the margin
  imds_->FailNextRequests(1000, 500);
  EXPECT_EQ(KeyIdOrError(*chain), "ASIAFIRST");  // refresh failed: the old ones still work
  const int64_t failed = imds_->requests();
  EXPECT_EQ(KeyIdOrError(*chain), "ASIAFIRST");
  EXPECT_EQ(imds_->requests(), failed);  // and the service is not asked again at once
  clock_.Advance(kRefreshRetryMillis);
  EXPECT_EQ(KeyIdOrError(*chain), "ASIAFIRST");
  EXPECT_GT(imds_->requests(), failed);  // but after kRefreshRetryMillis
  clock_.Advance(2 * kMinute);           // expired now
  EXPECT_EQ(GetStatus(*chain).code(), StatusCode::kUnavailable);
  imds_->FailNextRequests(0);
  ServeRole("ASIASECOND", clock_.NowUnixMillis() + kHour);
  EXPECT_EQ(KeyIdOrError(*chain), "ASIASECOND");
}

TEST_F(CredentialsChainTest, ExpiredCredentialsFromTheServiceAreRefused) {
  ServeRole("ASIAOLD", clock_.NowUnixMillis() - 1000);
  Status s = GetStatus(*Chain());
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("the credentials of role spotbatch-worker expired at"),
            std::string::npos)
      << s.message();
}

TEST_F(CredentialsChainTest, ConcurrentCallersShareOneRefresh) {
  ServeRole("ASIAFIRST", clock_.NowUnixMillis() + kHour);
  auto chain = Chain();
  EXPECT_EQ(KeyIdOrError(*chain), "ASIAFIRST");
  ServeRole("ASIASECOND", clock_.NowUnixMillis() + 2 * kHour);
  clock_.Advance(kHour - kMinute);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] { ok += chain->Get().ok() ? 1 : 0; });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(imds_->role_credential_requests(), 2);
  EXPECT_EQ(KeyIdOrError(*chain), "ASIASECOND");
}

TEST_F(CredentialsChainTest, SignerFedFromTheChainFollowsRotation) {
  const int64_t expires = clock_.NowUnixMillis() + kHour;
  ServeRole("ASIAFIRST", expires);
  auto chain = Chain();
  ProvidedSigner signer(*chain, SigV4Options::Service("us-east-1", "sqs"), clock_);
  const auto sign = [&] {
    HttpRequest r;
    r.method = "GET";
    r.path = "/";
    r.headers.emplace("Host", "sqs.us-east-1.amazonaws.com");
    Result<SigV4Signing> s = signer.SignHeaders(r);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    const auto auth = r.headers.find("Authorization");
    const auto token = r.headers.find("X-Amz-Security-Token");
    EXPECT_TRUE(auth != r.headers.end() && token != r.headers.end());
    return auth->second + " " + token->second;
  };
  std::string first = sign();
  EXPECT_NE(first.find("Credential=ASIAFIRST/"), std::string::npos) << first;
  EXPECT_NE(first.find(" token-ASIAFIRST"), std::string::npos) << first;
  sign();
  EXPECT_EQ(signer.signer().key_derivations(), 1);  // the same credentials: the key is kept

  ServeRole("ASIASECOND", expires + kHour);
  clock_.Advance(kHour - kMinute);
  const std::string second = sign();
  EXPECT_NE(second.find("Credential=ASIASECOND/"), std::string::npos) << second;
  EXPECT_NE(second.find(" token-ASIASECOND"), std::string::npos) << second;
  EXPECT_EQ(signer.signer().key_derivations(), 2);
}

TEST_F(CredentialsChainTest, SignerFailsAsTheChainDoes) {
  auto chain = Chain("", false);
  ProvidedSigner signer(*chain, SigV4Options::Service("us-east-1", "sqs"), clock_);
  HttpRequest r;
  r.method = "GET";
  r.path = "/";
  Result<SigV4Signing> s = signer.SignHeaders(r);
  EXPECT_EQ(s.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(r.headers.empty());
}

}  // namespace
}  // namespace spotbatch
