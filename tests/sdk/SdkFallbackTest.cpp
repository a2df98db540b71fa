// The SDK against the fake host playing kernels of older minors, and against service tables built
// with older headers: each fallback path runs, and nothing past a table's struct_size is touched.
#include "FakeHost.hpp"

#include "vtp/sdk.hpp"
#include "vtp/verifier.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

using vtp::test::FakeHost;

namespace {

vtp::detail::HostRef ref(FakeHost& fake)
{
    return {fake.api(), fake.handle()};
}

// A function that must never be called: it stands in the bytes past a table's struct_size.
int trap(...)
{
    ADD_FAILURE() << "a field past struct_size was called";
    std::abort();
}

// A verifier as the auth plugin offers it: verify (1.0) and the 1.5 session entries.
struct FakeVerifier {
    static inline int verifyCalls = 0, sessionCalls = 0;
    static int verify(void*, const char* token, size_t len, char* subject, size_t subjectCap, char* roles, size_t rolesCap, char* reason,
                      size_t reasonCap)
    {
        ++verifyCalls;
        if (std::string(token, len) != "good") {
            std::snprintf(reason, reasonCap, "unknown token");
            return VTP_NOT_FOUND;
        }
        std::snprintf(subject, subjectCap, "u1");
        std::snprintf(roles, rolesCap, "student,tutor");
        return VTP_OK;
    }
    static int verifySession(void* ctx, const char* token, size_t len, char* subject, size_t subjectCap, char* roles, size_t rolesCap,
                             char* session, size_t sessionCap, int64_t* expiresAt, char* reason, size_t reasonCap)
    {
        ++sessionCalls;
        const int rc = verify(ctx, token, len, subject, subjectCap, roles, rolesCap, reason, reasonCap);
        --verifyCalls;
        if (rc == VTP_OK) {
            std::snprintf(session, sessionCap, "s1");
            *expiresAt = 1900000000;
        }
        return rc;
    }
    static int revoked(void*, const char* id, size_t len) { return std::string(id, len) == "s1" ? 1 : 0; }
};

// A table built against a header of `size` bytes: the bytes after it hold a trap, as another
// plugin's memory would hold anything at all.
struct OldTable {
    alignas(8) unsigned char bytes[sizeof(vtp_verifier_v1) + 32];
    explicit OldTable(size_t size)
    {
        vtp_verifier_v1 full{};
        full.verify = FakeVerifier::verify;
        full.verify_session = FakeVerifier::verifySession;
        full.session_revoked = FakeVerifier::revoked;
        full.struct_size = static_cast<uint32_t>(size);
        std::memcpy(bytes, &full, size);
        auto* fn = reinterpret_cast<void (*)()>(&trap);
        for (size_t at = (size + 7) / 8 * 8; at + sizeof fn <= sizeof bytes; at += sizeof fn) std::memcpy(bytes + at, &fn, sizeof fn);
    }
    const vtp_verifier_v1* table() const { return reinterpret_cast<const vtp_verifier_v1*>(bytes); }
};

} // namespace

TEST(SdkFallback, SendManyFallsBackToOneSendEachOnA13Kernel)
{
    FakeHost old(3);
    vtp::Host host(ref(old));
    EXPECT_EQ(host.sendMany({1, 2, 3}, "hi"), 3u);
    EXPECT_EQ(old.sendCalls(), 3u);
    EXPECT_EQ(old.sendManyCalls(), 0u);
    ASSERT_EQ(old.sent().size(), 3u);
    EXPECT_EQ(old.sent()[2].connection, 3u);

    FakeHost current;
    vtp::Host now(ref(current));
    EXPECT_EQ(now.sendMany({1, 2, 3}, "hi"), 3u);
    EXPECT_EQ(current.sendManyCalls(), 1u);
    EXPECT_EQ(current.sendCalls(), 0u);
}

TEST(SdkFallback, EntriesA10KernelLacksAreRefusedOrSkipped)
{
    FakeHost old(0);
    ASSERT_EQ(old.api()->struct_size, vtp::test::hostApiSizeForMinor(0));
    vtp::Host host(ref(old));
    try {
        host.socket({.path = "/x"});
        FAIL() << "socket() on a 1.0 kernel must throw";
    } catch (const vtp::PluginError& e) {
        EXPECT_NE(std::string(e.what()).find("predates WebSocket endpoints"), std::string::npos) << e.what();
    }
    EXPECT_THROW(host.subscribe("user.*", [](const vtp::Event&) {}), vtp::PluginError);
    EXPECT_THROW(host.command({.name = "x y", .run = [](const std::vector<std::string>&) { return 0; }}), vtp::PluginError);
    EXPECT_THROW(host.submitJob("x.y", vtp::Json::object()), vtp::PluginError);
    EXPECT_FALSE(host.publish("user.registered", vtp::Json::object()));
    EXPECT_FALSE(host.send(1, "hi"));
    EXPECT_EQ(host.sendMany({1, 2}, "hi"), 0u);
    host.gauge("rooms", "Rooms").set(3); // a metric on a kernel without metrics does nothing
    EXPECT_TRUE(old.sent().empty());
    EXPECT_TRUE(old.published().empty());
}

TEST(SdkFallback, RouteOnA14KernelIsReadWithoutThe15Fields)
{
    FakeHost old(4);
    vtp::Host host(ref(old));
    host.route({.method = "POST",
                .path = "/api/v1/things/{id}",
                .role = vtp::Role::Public,
                .summary = "Makes a thing",
                .successStatus = 201,
                .errors = {{409, "taken"}}},
               [](const vtp::Request& r) {
                   return vtp::Response::json({{"id", r.param("id")}});
               });
    ASSERT_EQ(old.routes().size(), 1u);
    const auto& route = old.routes()[0];
    EXPECT_EQ(route.writerSize, sizeof(vtp_route)) << "the SDK writes its whole struct";
    EXPECT_EQ(route.route.struct_size, vtp::test::routeSizeForMinor(4)) << "a 1.4 kernel reads up to user_data";
    EXPECT_EQ(route.route.success_status, 0u);
    const auto r = old.call("POST", "/api/v1/things/7");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(vtp::Json::parse(r.body)["id"].asString(), "7");

    FakeHost current;
    vtp::Host now(ref(current));
    now.route({.method = "POST", .path = "/api/v1/things", .role = vtp::Role::Public, .successStatus = 201}, [](const vtp::Request&) {
        return vtp::Response::json({{"ok", true}}, 201);
    });
    ASSERT_EQ(current.routes().size(), 1u);
    EXPECT_EQ(current.routes()[0].route.success_status, 201u);
    EXPECT_EQ(current.call("POST", "/api/v1/things").status, 201);
}

TEST(SdkFallback, TokenVerifierUsesVerifyOnA10Table)
{
    FakeHost fake;
    OldTable v10(VTP_VERIFIER_V1_SIZE);
    fake.offer(VTP_VERIFIER_SERVICE, VTP_VERIFIER_VERSION, v10.table());
    vtp::Host host(ref(fake));
    const auto verifier = vtp::TokenVerifier::find(host);
    ASSERT_TRUE(verifier.available());
    EXPECT_FALSE(verifier.hasSessions());
    FakeVerifier::verifyCalls = FakeVerifier::sessionCalls = 0;
    std::string reason;
    const auto token = verifier.verify("good", reason);
    ASSERT_TRUE(token) << reason;
    EXPECT_EQ(token->subject, "u1");
    EXPECT_EQ(token->roles, (std::vector<std::string>{"student", "tutor"}));
    EXPECT_EQ(token->sessionId, "");
    EXPECT_EQ(token->expiresAt, 0);
    EXPECT_EQ(FakeVerifier::verifyCalls, 1);
    EXPECT_EQ(FakeVerifier::sessionCalls, 0);
    EXPECT_FALSE(verifier.sessionRevoked("s1")) << "a 1.0 verifier cannot tell";
    EXPECT_FALSE(verifier.verify("bad", reason));
    EXPECT_EQ(reason, "unknown token");
}

TEST(SdkFallback, TokenVerifierUsesSessionsOnA15Table)
{
    FakeHost fake;
    OldTable v15(sizeof(vtp_verifier_v1));
    fake.offer(VTP_VERIFIER_SERVICE, VTP_VERIFIER_VERSION, v15.table());
    vtp::Host host(ref(fake));
    const auto verifier = vtp::TokenVerifier::find(host);
    ASSERT_TRUE(verifier.hasSessions());
    FakeVerifier::verifyCalls = FakeVerifier::sessionCalls = 0;
    std::string reason;
    const auto token = verifier.verify("good", reason);
    ASSERT_TRUE(token) << reason;
    EXPECT_EQ(token->sessionId, "s1");
    EXPECT_EQ(token->expiresAt, 1900000000);
    EXPECT_EQ(FakeVerifier::sessionCalls, 1);
    EXPECT_EQ(FakeVerifier::verifyCalls, 0);
    EXPECT_TRUE(verifier.sessionRevoked("s1"));
}

TEST(SdkFallback, FindRefusesATableSmallerThanItsVersionGuaranteesAndSaysSoOnce)
{
    FakeHost fake;
    OldTable tooSmall(VTP_VERIFIER_V1_SIZE - sizeof(void*)); // ends before verify
    fake.offer(VTP_VERIFIER_SERVICE, VTP_VERIFIER_VERSION, tooSmall.table());
    vtp::Host host(ref(fake));
    EXPECT_FALSE(vtp::TokenVerifier::find(host).available());
    EXPECT_EQ(host.find<vtp_verifier_v1>(VTP_VERIFIER_SERVICE, VTP_VERIFIER_VERSION, VTP_VERIFIER_V1_SIZE), nullptr);
    size_t warnings = 0;
    for (const auto& line : fake.logs())
        if (line.message.find("service table is smaller than this plugin needs") != std::string::npos) ++warnings;
    EXPECT_EQ(warnings, 1u);
    // What it does hold is still there for a caller that needs less.
    EXPECT_NE(host.find<vtp_verifier_v1>(VTP_VERIFIER_SERVICE, VTP_VERIFIER_VERSION, sizeof(uint32_t)), nullptr);
}

TEST(SdkFallback, TableHasChecksSizeThenNull)
{
    OldTable v10(VTP_VERIFIER_V1_SIZE);
    EXPECT_TRUE(vtp::tableHas(v10.table(), &vtp_verifier_v1::verify));
    EXPECT_FALSE(vtp::tableHas(v10.table(), &vtp_verifier_v1::verify_session)) << "past struct_size, whatever the bytes say";
    EXPECT_FALSE(vtp::tableHas(v10.table(), &vtp_verifier_v1::session_revoked));
    vtp_verifier_v1 full{};
    full.struct_size = sizeof full;
    full.verify_session = FakeVerifier::verifySession;
    EXPECT_TRUE(vtp::tableHas(&full, &vtp_verifier_v1::verify_session));
    EXPECT_FALSE(vtp::tableHas(&full, &vtp_verifier_v1::session_revoked)) << "within the size but NULL";
    EXPECT_TRUE(vtp::tableHas(&full, &vtp_verifier_v1::struct_size)) << "a field that is no pointer: its size alone";
    EXPECT_FALSE(vtp::tableHas(static_cast<const vtp_verifier_v1*>(nullptr), &vtp_verifier_v1::verify));
}

TEST(SdkFallback, ClusterChannelsOnA15KernelAreASingleNode)
{
    FakeHost old(5);
    old.setClusterPeers({"other/1"}); // were the entries called despite the size, this would show
    ASSERT_LT(old.api()->struct_size, VTP_SIZE_THROUGH(vtp_host_api, cluster_node_id));
    vtp::Host host(ref(old));
    EXPECT_EQ(host.clusterNodeId(), "");
    EXPECT_EQ(host.clusterSend("hello.sync", "x"), vtp::ClusterSend::NoPeers);
    EXPECT_TRUE(host.clusterPeers().empty());
    int received = 0;
    host.clusterSubscribe("hello.sync", [&](const vtp::ClusterMessage&) { ++received; });
    EXPECT_EQ(old.deliverCluster("hello.sync", "y", "other/1"), 0u) << "nothing subscribed on a kernel without channels";
    EXPECT_TRUE(old.clusterSent().empty());
    EXPECT_EQ(received, 0);
}

TEST(SdkFallback, ClusterChannelsOnA16KernelReachTheOtherNodes)
{
    FakeHost fake(6);
    vtp::Host host(ref(fake));
    EXPECT_EQ(host.clusterNodeId(), "fake-node/1");
    EXPECT_EQ(host.clusterSend("hello.sync", "x"), vtp::ClusterSend::NoPeers) << "alone: nothing sent";
    EXPECT_TRUE(fake.clusterSent().empty());

    fake.setClusterPeers({"other/1", "other/2"});
    EXPECT_EQ(host.clusterPeers(), (std::vector<std::string>{"other/1", "other/2"}));
    EXPECT_EQ(host.clusterSend("hello.sync", "x"), vtp::ClusterSend::Sent);
    ASSERT_EQ(fake.clusterSent().size(), 1u);
    EXPECT_EQ(fake.clusterSent()[0].channel, "hello.sync");
    EXPECT_EQ(fake.clusterSent()[0].data, "x");

    std::string got, from;
    host.clusterSubscribe("hello.*", [&](const vtp::ClusterMessage& m) {
        got = std::string(m.data);
        from = m.fromNode;
    });
    EXPECT_EQ(fake.deliverCluster("hello.sync", "y", "other/2"), 1u);
    EXPECT_EQ(got, "y");
    EXPECT_EQ(from, "other/2");
    EXPECT_EQ(fake.deliverCluster("bye.sync", "z", "other/2"), 0u);
}

TEST(SdkFallback, DeferOnA15KernelThrowsAndOnA16ItCompletesOnce)
{
    auto routeOn = [](FakeHost& fake, vtp::Host& host, vtp::Deferred& held) {
        host.route({.method = "GET", .path = "/api/v1/later", .role = vtp::Role::Public, .summary = "Answers later"},
                   [&held](const vtp::Request& r) {
                       held = r.defer(std::chrono::seconds(5));
                       return vtp::Response::deferred();
                   });
        return fake.call("GET", "/api/v1/later");
    };
    FakeHost old(5);
    vtp::Host oldHost(ref(old));
    vtp::Deferred none;
    EXPECT_EQ(routeOn(old, oldHost, none).status, 500) << "defer() throws where the kernel has no response_defer";
    EXPECT_EQ(none.id(), 0u);
    EXPECT_FALSE(none.complete(vtp::Response::text("late")));

    FakeHost fake(6);
    vtp::Host host(ref(fake));
    vtp::Deferred held;
    const auto first = routeOn(fake, host, held);
    ASSERT_NE(first.deferred, 0u);
    EXPECT_EQ(held.id(), first.deferred);
    EXPECT_FALSE(fake.completed(held.id()));
    EXPECT_TRUE(held.complete(vtp::Response::text("late", 202)));
    const auto answer = fake.completed(held.id());
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, 202);
    EXPECT_EQ(answer->body, "late");
    EXPECT_FALSE(held.complete(vtp::Response::text("again"))) << "completing twice is a no-op";
}

TEST(SdkFallback, StreamRouteOnA15KernelIsRefusedAndOnA16ItGetsTheBody)
{
    struct Sink : vtp::BodySink {
        std::string seen;
        void data(std::string_view piece) override { seen += piece; }
        vtp::Response finish(const vtp::Request& r) override
        {
            return vtp::Response::json({{"bytes", static_cast<int64_t>(r.bodyBytes())}, {"seen", seen}});
        }
    };
    const vtp::Route route{.method = "PUT", .path = "/api/v1/upload", .role = vtp::Role::Public, .summary = "Uploads"};
    auto handler = [](const vtp::Request&) -> std::unique_ptr<vtp::BodySink> { return std::make_unique<Sink>(); };

    FakeHost old(5);
    vtp::Host oldHost(ref(old));
    EXPECT_THROW(oldHost.streamRoute(route, handler), vtp::PluginError);
    EXPECT_TRUE(old.routes().empty());

    FakeHost fake(6);
    vtp::Host host(ref(fake));
    host.streamRoute(route, handler);
    const auto r = fake.call("PUT", "/api/v1/upload", {.body = "abcdef", .contentType = "application/octet-stream"});
    ASSERT_EQ(r.status, 200) << r.body;
    const auto body = vtp::Json::parse(r.body);
    EXPECT_EQ(body["bytes"].asInt(), 6);
    EXPECT_EQ(body["seen"].asString(), "abcdef");
}
