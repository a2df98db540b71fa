// Loads every ABI fixture into one real vtpd: each broken one is refused with its own
// reason while the good ones serve.
#include "VtpdProcess.hpp"
#include "vtp/abi.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>

#include <gtest/gtest.h>

using namespace vtp::test;

namespace {

class AbiLoad : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        VtpdOptions o;
        o.pluginsDir = VTP_ABI_FIXTURE_DIR;
        o.enabled = {"hello",
                     "optional_first",
                     "current",
                     "optional_absent",
                     "optional_refused",
                     "optional_cycle_a",
                     "optional_cycle_b",
                     "older_minor",
                     "socket_minor_2",
                     "route_minor_4",
                     "query_params",
                     "query_bad_name",
                     "arrays_full",
                     "arrays_short",
                     "grown_newer_minor",
                     "grown_same_minor",
                     "newer_minor",
                     "other_major",
                     "no_entry",
                     "no_init",
                     "init_fails",
                     "service_unsized",
                     "cycle_a",
                     "cycle_b",
                     "missing_dep",
                     "needs_failed",
                     "needs_current",
                     "not_a_library",
                     "absent"};
        vtpd_ = new VtpdProcess(o);
        ASSERT_TRUE(vtpd_->start()) << vtpd_->logs();
        auto ready = vtpd_->get("/ready");
        ASSERT_EQ(ready.status, 200) << ready.body;
        auto plugins = ready.json()->getArray("plugins");
        for (size_t i = 0; i < plugins->size(); ++i) {
            auto p = plugins->getObject(static_cast<unsigned>(i));
            status_[p->getValue<std::string>("name")] = {p->getValue<std::string>("state"), jsonString(p, "refusal"),
                                                         jsonString(p, "reason")};
        }
    }
    static void TearDownTestSuite()
    {
        delete vtpd_;
        vtpd_ = nullptr;
    }

    struct Status {
        std::string state, refusal, reason;
    };
    static Status status(const std::string& name)
    {
        auto it = status_.find(name);
        if (it == status_.end()) ADD_FAILURE() << name << " missing from /ready";
        return it == status_.end() ? Status{} : it->second;
    }
    static void expectRefused(const std::string& name, const std::string& refusal, const std::string& reasonPart)
    {
        const auto s = status(name);
        EXPECT_EQ(s.state, "refused") << name;
        EXPECT_EQ(s.refusal, refusal) << name << ": " << s.reason;
        EXPECT_NE(s.reason.find(reasonPart), std::string::npos) << name << ": " << s.reason;
    }

    static VtpdProcess* vtpd_;
    static std::map<std::string, Status> status_;
};

VtpdProcess* AbiLoad::vtpd_ = nullptr;
std::map<std::string, AbiLoad::Status> AbiLoad::status_;

} // namespace

TEST_F(AbiLoad, CurrentPluginRunsAndServes)
{
    EXPECT_EQ(status("current").state, "running");
    auto r = vtpd_->get("/api/v1/fixture/current");
    EXPECT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("\"plugin\":\"current\""), std::string::npos);
}

TEST_F(AbiLoad, PluginBuiltAgainstOlderMinorLoads)
{
    EXPECT_EQ(status("older_minor").state, "running");
    auto r = vtpd_->get("/api/v1/fixture/older_minor");
    EXPECT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("\"abi\":\"1.0\""), std::string::npos) << r.body;
}

TEST_F(AbiLoad, OlderMinorSocketEndpointIsReadOnlyUpToItsSize)
{
    EXPECT_EQ(status("socket_minor_2").state, "running");
    // The fixture's struct ends before on_http (1.3), which holds a function that aborts: plain HTTP
    // on its path must still be answered 426, as for every endpoint without on_http.
    Poco::Net::HTTPClientSession session("127.0.0.1", vtpd_->wsPort());
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, "/fixture/socket_minor_2", Poco::Net::HTTPMessage::HTTP_1_1);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    session.receiveResponse(response);
    EXPECT_EQ(static_cast<int>(response.getStatus()), 426);
    EXPECT_EQ(vtpd_->get("/api/v1/fixture/socket_minor_2").status, 200);
}

TEST_F(AbiLoad, OlderMinorRouteIsReadOnlyUpToItsSize)
{
    // Read past its size, the route would carry success status 0xABABABAB and be refused.
    EXPECT_EQ(status("route_minor_4").state, "running");
    EXPECT_EQ(vtpd_->get("/api/v1/fixture/route_minor_4").status, 200);
    auto doc = vtpd_->get("/api/v1/openapi.json");
    ASSERT_EQ(doc.status, 200);
    EXPECT_NE(doc.body.find("/api/v1/fixture/route_minor_4"), std::string::npos);
}

TEST_F(AbiLoad, QueryParametersAreDescribedAndABadOneRefusesTheRoute)
{
    EXPECT_EQ(status("query_params").state, "running");
    auto doc = vtpd_->get("/api/v1/openapi.json");
    ASSERT_EQ(doc.status, 200);
    auto params = doc.json()->getObject("paths")->getObject("/api/v1/fixture/query_params")->getObject("get")->getArray("parameters");
    ASSERT_TRUE(params);
    ASSERT_EQ(params->size(), 2u);
    auto state = params->getObject(0), limit = params->getObject(1);
    EXPECT_EQ(state->getValue<std::string>("name"), "state");
    EXPECT_EQ(state->getValue<std::string>("in"), "query");
    EXPECT_FALSE(state->getValue<bool>("required"));
    EXPECT_EQ(state->getValue<std::string>("description"), "only items in this state");
    EXPECT_EQ(state->getObject("schema")->getValue<std::string>("type"), "string");
    EXPECT_EQ(limit->getValue<std::string>("name"), "limit");
    EXPECT_TRUE(limit->getValue<bool>("required"));
    EXPECT_EQ(limit->getObject("schema")->getValue<std::string>("type"), "integer");

    const auto bad = status("query_bad_name");
    EXPECT_EQ(bad.state, "refused");
    EXPECT_NE(bad.reason.find("query parameter 'a b' is not a name"), std::string::npos) << bad.reason;
}

TEST_F(AbiLoad, ShorterConfigKeysAndMigrationsAreSteppedByTheirOwnSize)
{
    // arrays_short is a 1.0 plugin whose config keys and migrations are smaller than the kernel's
    // structs: read at the kernel's stride, its second key and migration would be garbage.
    for (const std::string name : {"arrays_full", "arrays_short"}) {
        EXPECT_EQ(status(name).state, "running") << status(name).reason;
        auto r = vtpd_->get("/api/v1/fixture/" + name);
        ASSERT_EQ(r.status, 200) << r.body;
        auto body = r.json();
        ASSERT_TRUE(body) << r.body;
        auto config = body->getObject("config");
        ASSERT_TRUE(config) << r.body;
        EXPECT_EQ(config->getValue<std::string>("greeting"), "hello") << name;
        EXPECT_EQ(config->getValue<int>("count"), 7) << name;
        EXPECT_EQ(config->getValue<std::string>("mode"), "fast") << name;
        auto rows = body->getArray("rows");
        ASSERT_TRUE(rows) << r.body;
        ASSERT_EQ(rows->size(), 2u) << r.body;
        EXPECT_EQ(rows->getElement<std::string>(0), "one");
        EXPECT_EQ(rows->getElement<std::string>(1), "two");
    }
    EXPECT_NE(vtpd_->get("/api/v1/fixture/arrays_short").body.find("\"abi\":\"1.0\""), std::string::npos);
}

TEST_F(AbiLoad, RefusesStructGrownPastTheKernelsAsNewerMinor)
{
    expectRefused("grown_newer_minor", "abi-mismatch", "newer SDK");
    // Claiming the kernel's own minor does not make a larger struct readable.
    expectRefused("grown_same_minor", "abi-mismatch",
                  "config key 0 is " + std::to_string(sizeof(vtp_config_key) + 8) + " bytes, larger than this kernel's");
    EXPECT_NE(status("grown_same_minor").reason.find("newer SDK"), std::string::npos) << status("grown_same_minor").reason;
    EXPECT_EQ(vtpd_->get("/api/v1/fixture/grown_same_minor").status, 404);
}

TEST_F(AbiLoad, RefusesPluginWithNewerMinor)
{
    expectRefused("newer_minor", "abi-mismatch", "newer SDK");
    EXPECT_EQ(vtpd_->get("/api/v1/fixture/newer_minor").status, 404);
}

TEST_F(AbiLoad, RefusesOtherMajorNamingBothVersions)
{
    expectRefused("other_major", "abi-mismatch", "plugin ABI " + std::to_string(VTP_ABI_MAJOR + 1) + ".");
    EXPECT_NE(status("other_major").reason.find("kernel ABI " + std::to_string(VTP_ABI_MAJOR) + "." + std::to_string(VTP_ABI_MINOR)),
              std::string::npos);
}

TEST_F(AbiLoad, RefusesLibraryWithoutEntrySymbol)
{
    expectRefused("no_entry", "missing-symbol", "vtp_plugin_v1");
}

TEST_F(AbiLoad, RefusesMissingRequiredCallback)
{
    expectRefused("no_init", "missing-callback", "init");
}

TEST_F(AbiLoad, RefusesPluginWhoseInitFailsWithItsMessage)
{
    expectRefused("init_fails", "init-failed", "fixture refuses to initialise on purpose");
}

TEST_F(AbiLoad, RefusesServiceTableWithoutItsSize)
{
    expectRefused("service_unsized", "init-failed", "a service table begins with its struct_size");
}

TEST_F(AbiLoad, RefusesDependencyCycleNamingIt)
{
    expectRefused("cycle_a", "dependency", "dependency cycle");
    expectRefused("cycle_b", "dependency", "dependency cycle");
}

TEST_F(AbiLoad, RefusesMissingDependency)
{
    expectRefused("missing_dep", "dependency", "'not_installed', which is not enabled");
}

TEST_F(AbiLoad, RefusesDependentOfFailedPlugin)
{
    expectRefused("needs_failed", "dependency", "'init_fails'");
}

TEST_F(AbiLoad, StartsDependentOfWorkingPlugin)
{
    EXPECT_EQ(status("needs_current").state, "running");
}

TEST_F(AbiLoad, OptionalDependencyStartsFirstWhenEnabled)
{
    // optional_first is listed before current, and starts after it.
    EXPECT_EQ(status("optional_first").state, "running");
    const auto logs = vtpd_->logs();
    const auto current = logs.find("\"msg\":\"plugin started\",\"plugin\":\"current\"");
    const auto user = logs.find("\"msg\":\"plugin started\",\"plugin\":\"optional_first\"");
    ASSERT_NE(current, std::string::npos) << logs;
    ASSERT_NE(user, std::string::npos) << logs;
    EXPECT_LT(current, user);
}

TEST_F(AbiLoad, OptionalDependencyAbsentOrRefusedIsIgnored)
{
    EXPECT_EQ(status("optional_absent").state, "running") << status("optional_absent").reason;
    EXPECT_EQ(status("optional_refused").state, "running") << status("optional_refused").reason;
    EXPECT_EQ(vtpd_->get("/api/v1/fixture/optional_refused").status, 200);
}

TEST_F(AbiLoad, RefusesCycleThroughOptionalDependencyNamingIt)
{
    expectRefused("optional_cycle_a", "dependency",
                  "dependency cycle: optional_cycle_a -> optional_cycle_b -> optional_cycle_a (optional)");
    expectRefused("optional_cycle_b", "dependency", "dependency cycle");
}

TEST_F(AbiLoad, RefusesFileThatIsNotALibrary)
{
    expectRefused("not_a_library", "cannot-open", "not_a_library.so");
}

TEST_F(AbiLoad, RefusesAbsentPluginFile)
{
    expectRefused("absent", "cannot-open", "no plugin file");
}

TEST_F(AbiLoad, OthersKeepServing)
{
    EXPECT_EQ(status("hello").state, "running");
    auto r = vtpd_->get("/api/v1/hello/ada");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()->getValue<std::string>("greeting"), "Hello, ada!");
    auto ready = vtpd_->get("/ready");
    EXPECT_TRUE(ready.json()->getValue<bool>("degraded"));
}

TEST_F(AbiLoad, RefusalsAreLoggedWithReasons)
{
    const auto logs = vtpd_->logs();
    EXPECT_NE(logs.find("\"msg\":\"plugin refused\",\"plugin\":\"other_major\""), std::string::npos);
    EXPECT_NE(logs.find("\"refusal\":\"missing-symbol\""), std::string::npos);
}
