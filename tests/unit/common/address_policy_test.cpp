#include "common/address_policy.hpp"

#include <gtest/gtest.h>

namespace convox::common {
namespace {

std::optional<std::string_view> kindOf(const char* text) {
  return nonPublicAddressKind(boost::asio::ip::make_address(text));
}

TEST(AddressPolicy, PublicAddressesPass) {
  for (const char* a : {"8.8.8.8", "1.1.1.1", "93.184.216.34", "172.32.0.1", "100.128.0.1", "2606:4700::1111",
                        "2001:4860:4860::8888"}) {
    EXPECT_FALSE(kindOf(a)) << a;
  }
}

TEST(AddressPolicy, NonPublicAddressesAreNamed) {
  EXPECT_EQ(kindOf("127.0.0.1"), "loopback");
  EXPECT_EQ(kindOf("127.200.1.1"), "loopback");
  EXPECT_EQ(kindOf("10.1.2.3"), "private");
  EXPECT_EQ(kindOf("172.16.0.1"), "private");
  EXPECT_EQ(kindOf("172.31.255.255"), "private");
  EXPECT_EQ(kindOf("192.168.1.1"), "private");
  EXPECT_EQ(kindOf("169.254.169.254"), "link-local");  // cloud metadata
  EXPECT_EQ(kindOf("100.64.0.1"), "shared (CGNAT)");
  EXPECT_EQ(kindOf("0.0.0.0"), "unspecified");
  EXPECT_EQ(kindOf("224.0.0.1"), "multicast");
  EXPECT_EQ(kindOf("255.255.255.255"), "reserved");
  EXPECT_EQ(kindOf("::1"), "loopback");
  EXPECT_EQ(kindOf("::"), "unspecified");
  EXPECT_EQ(kindOf("fe80::1"), "link-local");
  EXPECT_EQ(kindOf("fd00::1"), "private");
  EXPECT_EQ(kindOf("ff02::1"), "multicast");
  EXPECT_EQ(kindOf("2001:db8::1"), "documentation");
  EXPECT_EQ(kindOf("192.88.99.1"), "reserved");
  EXPECT_EQ(kindOf("64:ff9b:1::a00:1"), "private");
  EXPECT_EQ(kindOf("100::1"), "reserved");
  EXPECT_EQ(kindOf("2001:0:4136:e378::1"), "reserved");  // Teredo
}

TEST(AddressPolicy, EmbeddedIpv4IsJudgedByTheIpv4Address) {
  EXPECT_EQ(kindOf("::ffff:127.0.0.1"), "loopback");
  EXPECT_EQ(kindOf("::ffff:169.254.169.254"), "link-local");
  EXPECT_EQ(kindOf("64:ff9b::10.0.0.1"), "private");
  EXPECT_FALSE(kindOf("::ffff:8.8.8.8"));
  EXPECT_FALSE(kindOf("64:ff9b::8.8.8.8"));
}

TEST(AddressPolicy, UrlHostsThatCanBeReachedPass) {
  for (const char* url : {"https://example.com/hook", "http://example.com:8080/a?b=c", "http://93.184.216.34/",
                          "http://[2001:db8::1]:8443/x", "https://user@hooks.example.org/", "http://127.0.0.1:9/",
                          "http://localhost/", "http://a-b.c_d.example./"}) {
    EXPECT_FALSE(urlHostProblem(url)) << url << ": " << urlHostProblem(url).value_or("");
  }
}

TEST(AddressPolicy, ScopedAndUnparsableHostLiteralsAreRefused) {
  for (const char* url : {"http://[fe80::1%25lo]/", "http://[fe80::1%lo]/", "http://[fe80::1%25eth0]:80/",
                          "http://[::1/", "http://[v1.x]/", "http://[1.2.3.4]/", "http:///nohost", "http://256.1.1.1/",
                          "http://0x7f.1/", "http://127.1/", "http://2130706433/", "http://1.2.3.4.5/",
                          "http://1.2.3.4.5:80/", "http://u@1.2.3.4.5/", "not a url", "http://exa mple.com/"}) {
    const auto problem = urlHostProblem(url);
    EXPECT_TRUE(problem) << url;
    if (problem) {
      EXPECT_FALSE(problem->empty()) << url;
    }
  }
  EXPECT_NE(urlHostProblem("http://[fe80::1%25lo]/").value_or("").find("zone"), std::string::npos);
}

}  // namespace
}  // namespace convox::common
