// Webhooks end to end, on SQLite and on PostgreSQL: a real HTTP receiver in this process checks
// the signature, a 500 is retried, the delivery is visible through the admin routes, and a
// delivery pending when vtpd is stopped is sent after it restarts.
#include "IntegrationSupport.hpp"
#include "RedisServer.hpp" // eventually()
#include "WebhookReceiver.hpp"

#include "db/Database.hpp"
#include "log/Logger.hpp"

#include <Poco/DigestEngine.h>
#include <Poco/HMACEngine.h>
#include <Poco/SHA2Engine.h>

#include <gtest/gtest.h>

#include <mutex>
#include <random>

using namespace vtp::test;

namespace {

struct Sha256 : Poco::SHA2Engine {
    enum { BLOCK_SIZE = 64, DIGEST_SIZE = 32 };
};

// What a receiver does to verify a delivery (docs/operators.md, "Webhooks").
std::string expectedSignature(const std::string& secret, const std::string& timestamp, const std::string& body)
{
    Poco::HMACEngine<Sha256> hmac(secret);
    hmac.update(timestamp + "." + body);
    return "sha256=" + Poco::DigestEngine::digestToHex(hmac.digest());
}

const std::map<std::string, std::string> kAdmin{{"Authorization", testkitToken("ops", "admin")}};

class Webhooks : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override
    {
        if (GetParam() != "postgresql") return;
        const std::string url = postgresUrl();
        admin_ = vtp::kernel::Database::open(url + "?options=-cclient_min_messages%3Dwarning", "", 1, log_);
        std::random_device random;
        schema_ = "wh_" + std::to_string(random()) + std::to_string(random());
        admin_->exec("CREATE SCHEMA " + schema_);
        databaseUrl_ = url + "?options=-csearch_path%3D" + schema_;
    }
    void TearDown() override
    {
        if (admin_ && !schema_.empty()) admin_->exec("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
    }

    VtpdOptions options() const
    {
        VtpdOptions o;
        o.enabled = {"testkit"};
        o.databaseUrl = databaseUrl_;
        o.extraToml = "[webhooks]\ninitial_backoff_seconds = 1\nmax_backoff_seconds = 1\nmax_attempts = 20\n\n"
                      "[plugins.testkit]\nverifier = true\n";
        return o;
    }

    // Creates an endpoint for testkit.* events; returns {id, secret}.
    std::pair<std::string, std::string> subscribe(const VtpdProcess& v, const std::string& url)
    {
        auto r =
            v.request("POST", "/api/v1/admin/webhooks", R"({"url":")" + url + R"(","events":["testkit.*"]})", "application/json", kAdmin);
        EXPECT_EQ(r.status, 201) << r.body;
        if (r.status != 201) return {};
        return {jsonString(r.json(), "id"), jsonString(r.json(), "secret")};
    }

    Poco::JSON::Object::Ptr delivery(const VtpdProcess& v, const std::string& endpoint)
    {
        auto r = v.get("/api/v1/admin/webhooks/" + endpoint + "/deliveries", kAdmin);
        if (r.status != 200) return nullptr;
        auto items = r.json()->getArray("items");
        return items->size() == 1 ? items->getObject(0) : nullptr;
    }

    vtp::kernel::Logger log_{stderr};
    std::unique_ptr<vtp::kernel::Database> admin_;
    std::string schema_, databaseUrl_;
};

} // namespace

TEST_P(Webhooks, SignedDeliveryIsRetriedAfterA500AndVisibleToAdmins)
{
    Receiver receiver;
    receiver.start();
    VtpdProcess vtpd(options());
    ASSERT_TRUE(vtpd.start()) << vtpd.logs();

    // Operators only.
    const std::string create = R"({"url":")" + receiver.url() + R"(","events":["testkit.*"]})";
    EXPECT_EQ(vtpd.request("POST", "/api/v1/admin/webhooks", create).status, 401);
    EXPECT_EQ(
        vtpd.request("POST", "/api/v1/admin/webhooks", create, "application/json", {{"Authorization", testkitToken("eve", "student")}})
            .status,
        403);
    auto bad = vtpd.request("POST", "/api/v1/admin/webhooks", R"({"url":"file:///etc/passwd","events":["testkit.*"]})", "application/json",
                            kAdmin);
    EXPECT_EQ(bad.status, 400) << bad.body;

    // An event before there is an endpoint goes nowhere, and leaves the endpoint cache empty: the
    // new endpoint must still get the next event at once.
    ASSERT_EQ(vtpd.request("POST", "/api/v1/testkit/publish", R"({"name":"other.warm_up","payload":{}})").status, 200);
    const auto [id, secret] = subscribe(vtpd, receiver.url());
    ASSERT_FALSE(id.empty());
    ASSERT_EQ(secret.size(), 64u);

    receiver.failNext(1);
    auto pub = vtpd.request("POST", "/api/v1/testkit/publish", R"({"name":"testkit.order_paid","payload":{"order":42}})");
    ASSERT_EQ(pub.status, 200) << pub.body;

    ASSERT_TRUE(eventually([&] { return receiver.requests().size() >= 2; })) << vtpd.logs();
    const auto got = receiver.requests();
    ASSERT_EQ(got.size(), 2u);
    for (const auto& r : got) {
        EXPECT_EQ(r.event, "testkit.order_paid");
        EXPECT_EQ(r.signature, expectedSignature(secret, r.timestamp, r.body));
        EXPECT_NE(r.signature, expectedSignature("not-the-secret-at-all", r.timestamp, r.body));
        const long long ts = std::stoll(r.timestamp);
        EXPECT_LT(std::llabs(ts - static_cast<long long>(std::time(nullptr))), 60);
    }
    EXPECT_EQ(got[0].delivery, got[1].delivery); // the same delivery, retried
    EXPECT_EQ(got[0].body, got[1].body);
    auto body = Poco::JSON::Parser().parse(got[1].body).extract<Poco::JSON::Object::Ptr>();
    EXPECT_EQ(jsonString(body, "event"), "testkit.order_paid");
    EXPECT_EQ(jsonString(body, "id"), got[1].delivery);
    EXPECT_EQ(body->getObject("payload")->getValue<int>("order"), 42);

    // Visible: delivered after 2 attempts, last status 200.
    ASSERT_TRUE(eventually([&] {
        auto d = delivery(vtpd, id);
        return d && jsonString(d, "status") == "delivered";
    })) << vtpd.logs();
    auto d = delivery(vtpd, id);
    EXPECT_EQ(jsonString(d, "id"), got[1].delivery);
    EXPECT_EQ(jsonString(d, "event"), "testkit.order_paid");
    EXPECT_EQ(d->getValue<int>("attempts"), 2);
    EXPECT_EQ(d->getValue<int>("last_status"), 200);

    auto list = vtpd.get("/api/v1/admin/webhooks", kAdmin);
    ASSERT_EQ(list.status, 200) << list.body;
    auto endpoint = list.json()->getArray("items")->getObject(0);
    EXPECT_EQ(jsonString(endpoint, "id"), id);
    EXPECT_FALSE(endpoint->has("secret")); // shown once, at creation
    EXPECT_EQ(endpoint->getValue<int>("pending"), 0);
    EXPECT_EQ(endpoint->getValue<int>("attempts"), 2);
    EXPECT_EQ(endpoint->getValue<int>("last_status"), 200);
    EXPECT_EQ(vtpd.logs().find(secret), std::string::npos); // never logged

    EXPECT_EQ(vtpd.request("DELETE", "/api/v1/admin/webhooks/" + id, "", "", kAdmin).status, 204);
    EXPECT_EQ(vtpd.get("/api/v1/admin/webhooks/" + id, kAdmin).status, 404);
}

TEST_P(Webhooks, DeliveryPendingAtShutdownIsSentAfterRestart)
{
    Receiver receiver;
    receiver.start();
    const uint16_t port = receiver.port();
    VtpdProcess vtpd(options());
    ASSERT_TRUE(vtpd.start()) << vtpd.logs();
    const auto [id, secret] = subscribe(vtpd, receiver.url());
    ASSERT_FALSE(id.empty());

    receiver.stop(); // nobody listens: attempts fail and the delivery stays pending
    auto pub = vtpd.request("POST", "/api/v1/testkit/publish", R"({"name":"testkit.late","payload":{"n":7}})");
    ASSERT_EQ(pub.status, 200) << pub.body;
    std::string deliveryId;
    ASSERT_TRUE(eventually([&] {
        auto d = delivery(vtpd, id);
        if (!d || jsonString(d, "status") != "pending" || d->getValue<int>("attempts") < 1) return false;
        deliveryId = jsonString(d, "id");
        return true;
    })) << vtpd.logs();
    EXPECT_FALSE(delivery(vtpd, id)->isNull("last_error"));

    ASSERT_EQ(vtpd.stop(), 0) << vtpd.logs();
    EXPECT_TRUE(receiver.requests().empty());

    ASSERT_TRUE(vtpd.start()) << vtpd.logs();
    Receiver again(port);
    again.start();
    ASSERT_TRUE(eventually([&] { return !again.requests().empty(); })) << vtpd.logs();
    const auto got = again.requests();
    EXPECT_EQ(got[0].delivery, deliveryId);
    EXPECT_EQ(got[0].signature, expectedSignature(secret, got[0].timestamp, got[0].body));
    ASSERT_TRUE(eventually([&] {
        auto d = delivery(vtpd, id);
        return d && jsonString(d, "status") == "delivered";
    })) << vtpd.logs();
}

INSTANTIATE_TEST_SUITE_P(Backends, Webhooks, ::testing::Values("sqlite", "postgresql"), [](const auto& info) { return info.param; });
