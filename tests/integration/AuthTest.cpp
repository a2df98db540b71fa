// Authentication and role enforcement by the kernel, end to end, with testkit's verifier as
// the bearer token provider ("test:SUBJECT:ROLES").
#include "IntegrationSupport.hpp"

#include <gtest/gtest.h>

using namespace vtp::test;

namespace {

class Auth : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        VtpdOptions o;
        o.enabled = {"hello", "testkit"};
        o.extraToml = "[plugins.testkit]\nverifier = true\n";
        vtpd_ = new VtpdProcess(o);
        ASSERT_TRUE(vtpd_->start()) << vtpd_->logs();
    }
    static void TearDownTestSuite()
    {
        delete vtpd_;
        vtpd_ = nullptr;
    }

    static HttpResult getAs(const std::string& path, const std::string& subject, const std::string& roles)
    {
        return vtpd_->get(path, {{"Authorization", testkitToken(subject, roles)}});
    }

    static VtpdProcess* vtpd_;
};

VtpdProcess* Auth::vtpd_ = nullptr;

} // namespace

TEST(AuthWithoutProvider, AuthenticatedRouteIs401WhenNoProviderIsEnabled)
{
    VtpdOptions o;
    o.enabled = {"hello", "testkit"}; // testkit without verifier = true offers no verifier
    VtpdProcess vtpd(o);
    ASSERT_TRUE(vtpd.start()) << vtpd.logs();
    auto r = vtpd.get("/api/v1/hello/me", {{"Authorization", testkitToken("ada", "admin")}});
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(jsonString(r.json(), "type"), "urn:vtp:problem:unauthorized");
    EXPECT_NE(jsonString(r.json(), "detail").find("no authentication provider"), std::string::npos) << r.body;
}

TEST_F(Auth, MissingTokenIs401WithBearerChallenge)
{
    auto r = vtpd_->get("/api/v1/hello/me");
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.contentType, "application/problem+json");
    EXPECT_EQ(r.headers["WWW-Authenticate"], "Bearer");
}

TEST_F(Auth, RefusedTokenIs401WithTheVerifiersReason)
{
    auto r = vtpd_->get("/api/v1/hello/me", {{"Authorization", "Bearer not-a-test-token"}});
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.headers["WWW-Authenticate"], "Bearer");
    EXPECT_NE(jsonString(r.json(), "detail").find("unknown test token"), std::string::npos) << r.body;
}

TEST_F(Auth, ValidTokenReachesAuthenticatedRoute)
{
    auto r = getAs("/api/v1/hello/me", "grace", "student");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(jsonString(r.json(), "greeting"), "Hello, grace!");
}

TEST_F(Auth, StudentIsForbiddenOnAdminRoute)
{
    auto r = getAs("/api/v1/testkit/admin", "sam", "student");
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(jsonString(r.json(), "type"), "urn:vtp:problem:forbidden");
    EXPECT_NE(jsonString(r.json(), "detail").find("admin"), std::string::npos) << r.body;
}

TEST_F(Auth, InstructorRoleOpensInstructorRouteOnly)
{
    EXPECT_EQ(getAs("/api/v1/testkit/instructor", "ines", "instructor").status, 200);
    EXPECT_EQ(getAs("/api/v1/testkit/admin", "ines", "instructor").status, 403);
}

TEST_F(Auth, AdminHoldsEveryRole)
{
    auto admin = getAs("/api/v1/testkit/admin", "root", "admin");
    EXPECT_EQ(admin.status, 200) << admin.body;
    EXPECT_EQ(jsonString(admin.json(), "route"), "admin");
    auto instructor = getAs("/api/v1/testkit/instructor", "root", "admin");
    EXPECT_EQ(instructor.status, 200) << instructor.body;
    EXPECT_EQ(jsonString(instructor.json(), "route"), "instructor");
}

TEST_F(Auth, WhoamiReturnsSubjectAndRoles)
{
    auto r = getAs("/api/v1/testkit/whoami", "ada", "student,instructor");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(jsonString(r.json(), "subject"), "ada");
    auto roles = r.json()->getArray("roles");
    ASSERT_EQ(roles->size(), 2u) << r.body;
    EXPECT_EQ(roles->getElement<std::string>(0), "student");
    EXPECT_EQ(roles->getElement<std::string>(1), "instructor");
}

TEST_F(Auth, PublicRouteIgnoresARefusedToken)
{
    auto r = vtpd_->get("/api/v1/hello/public-caller", {{"Authorization", "Bearer garbage"}});
    EXPECT_EQ(r.status, 200) << r.body;
}
