// A plugin's failures stay inside its request, and plugins talk to each other through
// services, all through the SDK's C++ layer.
#include "IntegrationSupport.hpp"

#include <gtest/gtest.h>

using namespace vtp::test;

namespace {

class Plugins : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        VtpdOptions o;
        o.enabled = {"hello", "testkit", "testkit_consumer"};
        vtpd_ = new VtpdProcess(o);
        ASSERT_TRUE(vtpd_->start()) << vtpd_->logs();
    }
    static void TearDownTestSuite()
    {
        delete vtpd_;
        vtpd_ = nullptr;
    }

    static VtpdProcess* vtpd_;
};

VtpdProcess* Plugins::vtpd_ = nullptr;

} // namespace

TEST_F(Plugins, ThrowingHandlerIs500ProblemAndServingContinues)
{
    auto r = vtpd_->get("/api/v1/testkit/throw");
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(r.contentType, "application/problem+json");
    EXPECT_EQ(jsonString(r.json(), "type"), "urn:vtp:problem:internal-error");
    // The exception text is for the log, not for the client.
    EXPECT_EQ(r.body.find("on purpose"), std::string::npos) << r.body;
    EXPECT_NE(vtpd_->logs().find("testkit throws on purpose"), std::string::npos);

    EXPECT_EQ(vtpd_->get("/api/v1/testkit/throw").status, 500);
    auto next = vtpd_->get("/api/v1/hello/after-throw");
    EXPECT_EQ(next.status, 200) << next.body;
}

TEST_F(Plugins, ConstraintViolationIs409Problem)
{
    auto r = vtpd_->get("/api/v1/testkit/conflict");
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(jsonString(r.json(), "type"), "urn:vtp:problem:conflict");
    EXPECT_EQ(vtpd_->get("/api/v1/testkit/conflict").status, 409);
}

TEST_F(Plugins, ConsumerReachesCounterServiceOfAnotherPlugin)
{
    auto first = vtpd_->get("/api/v1/consumer/next");
    ASSERT_EQ(first.status, 200) << first.body;
    const int64_t a = first.json()->getValue<int64_t>("value");
    const int64_t b = vtpd_->get("/api/v1/consumer/next").json()->getValue<int64_t>("value");
    EXPECT_GE(a, 1);
    EXPECT_EQ(b, a + 1);
}

TEST(PluginsDependency, ConsumerWithoutTestkitIsRefusedAsDependency)
{
    VtpdOptions o;
    o.enabled = {"hello", "testkit_consumer"};
    VtpdProcess vtpd(o);
    ASSERT_TRUE(vtpd.start()) << vtpd.logs();
    auto ready = vtpd.get("/ready");
    EXPECT_NE(ready.body.find("\"dependency\""), std::string::npos) << ready.body;
    EXPECT_EQ(vtpd.get("/api/v1/consumer/next").status, 404);
    EXPECT_EQ(vtpd.get("/api/v1/hello/still-here").status, 200);
}
