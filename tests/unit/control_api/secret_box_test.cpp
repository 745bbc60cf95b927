// AES-256-GCM sealing of secrets at rest: round trip, tampering, another
// key or context, key formats, and the --dev key file.
#include "control_api/secret_box.hpp"
#include "common/base64.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace convox::control_api {
namespace {

constexpr const char* kKey = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
constexpr const char* kOtherKey = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

SecretBox box(const char* hex = kKey) { return *SecretBox::fromHex(hex); }

TEST(SecretBox, OpensWhatItSealedAndNeverTheSameCiphertextTwice) {
  const auto ctx = providerCredentialContext("team_a", "deepgram");
  const auto a = box().seal("dg-secret-key-1234", ctx);
  const auto b = box().seal("dg-secret-key-1234", ctx);
  EXPECT_NE(a, b) << "a fresh nonce per secret";
  EXPECT_EQ(a.find("dg-secret"), std::string::npos);
  EXPECT_EQ(*box().open(a, ctx), "dg-secret-key-1234");
  EXPECT_EQ(*box().open(b, ctx), "dg-secret-key-1234");
  // version | 12-byte nonce | ciphertext | 16-byte tag
  const auto raw = common::base64Decode(a).value();
  EXPECT_EQ(raw.size(), 1 + 12 + 18 + 16);
  EXPECT_EQ(static_cast<unsigned char>(raw[0]), SecretBox::kVersion);
}

TEST(SecretBox, AnyAlteredByteIsRefused) {
  const auto ctx = providerCredentialContext("team_a", "openai");
  const auto sealed = box().seal("sk-abcdefghijklmnop", ctx);
  const auto raw = common::base64Decode(sealed).value();
  for (size_t i = 0; i < raw.size(); ++i) {
    auto altered = raw;
    altered[i] = static_cast<char>(altered[i] ^ 0x01);
    const auto opened = box().open(common::base64Encode(altered), ctx);
    ASSERT_FALSE(opened) << "byte " << i;
    EXPECT_FALSE(opened.error().empty());
  }
  EXPECT_FALSE(box().open(common::base64Encode(raw.substr(0, 20)), ctx)) << "truncated";
  EXPECT_FALSE(box().open("not base64 at all!", ctx));
}

TEST(SecretBox, AnotherTeamProviderOrKeyCannotOpenIt) {
  const auto sealed = box().seal("xi-key-0000000000", providerCredentialContext("team_a", "elevenlabs"));
  EXPECT_FALSE(box().open(sealed, providerCredentialContext("team_b", "elevenlabs")));
  EXPECT_FALSE(box().open(sealed, providerCredentialContext("team_a", "openai")));
  // The separator keeps ("team_a", "x") and ("team_ax", "") apart.
  EXPECT_NE(providerCredentialContext("team_a", "bx"), providerCredentialContext("team_ab", "x"));
  const auto wrongKey = box(kOtherKey).open(sealed, providerCredentialContext("team_a", "elevenlabs"));
  ASSERT_FALSE(wrongKey);
  EXPECT_NE(wrongKey.error().find("another encryption key"), std::string::npos) << wrongKey.error();
}

TEST(SecretBox, KeysAre64HexDigitsAndBadOnesAreNotEchoed) {
  EXPECT_TRUE(SecretBox::fromHex(kKey));
  EXPECT_TRUE(SecretBox::fromHex(std::string(kKey) + "\n")) << "a file's trailing newline";
  EXPECT_TRUE(SecretBox::fromHex("00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF"));
  for (const std::string& bad :
       {std::string(), std::string(kKey).substr(0, 63), std::string(kKey) + "0", std::string(63, '0') + "z",
        std::string("correct horse battery staple correct horse battery staple 12345")}) {
    const auto r = SecretBox::fromHex(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().find("64 hex digits"), std::string::npos) << r.error();
    if (!bad.empty()) {
      EXPECT_EQ(r.error().find(bad), std::string::npos) << r.error();
    }
  }
  const auto generated = SecretBox::generateHexKey();
  EXPECT_EQ(generated.size(), 64u);
  EXPECT_TRUE(SecretBox::fromHex(generated));
  EXPECT_NE(generated, SecretBox::generateHexKey());
}

TEST(SecretBox, TheDevKeyFileIsCreatedOnceOwnerOnlyAndReadAgain) {
  const auto dir = std::filesystem::temp_directory_path() / ("convox-key-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = (dir / "encrypt.key").string();
  const auto ctx = providerCredentialContext("team_dev", "openai");
  const auto first = loadOrCreateKeyFile(path);
  ASSERT_TRUE(first) << first.error();
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  const auto sealed = first->seal("sk-dev", ctx);
  // A restart reads the same key: what was sealed still opens.
  const auto second = loadOrCreateKeyFile(path);
  ASSERT_TRUE(second) << second.error();
  EXPECT_EQ(*second->open(sealed, ctx), "sk-dev");
  std::ofstream(path, std::ios::trunc) << "garbage\n";
  const auto broken = loadOrCreateKeyFile(path);
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().find(path), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace convox::control_api
