// /metrics, /api/v1/openapi.json and the log-level admin routes of the real vtpd, checked with
// npm tools (tests/integration/npm): swagger-parser validates the API description and a
// Prometheus text parser (after a line-by-line format check) reads the metrics.
#include "IntegrationSupport.hpp"
#include "PollUntil.hpp"

#include <Poco/JSON/Array.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <map>
#include <set>

using namespace vtp::test;

namespace {

const std::map<std::string, std::string> kAdmin{{"Authorization", testkitToken("root", "admin")}};

// Runs one of the npm scripts on `input`; returns its exit code, and what it wrote to `out`.
int runNodeScript(const std::string& script, const std::string& input, std::string& out, std::string& messages)
{
    TempDir dir;
    const std::string in = dir.path() + "/in", result = dir.path() + "/out.json";
    writeFile(in, input);
    const int rc = VtpdProcess::run({VTP_TEST_NODE, std::string(VTP_TEST_NPM_DIR) + "/" + script, in, result}, messages);
    out = std::filesystem::exists(result) ? readFile(result) : std::string();
    return rc;
}

// One scrape: the families as parse-prometheus-text-format reads them (name, help, type) and
// every sample line (parse-metrics.mjs checked that both readings agree).
struct Scrape {
    Poco::JSON::Array::Ptr families, samples;

    Poco::JSON::Object::Ptr family(const std::string& name) const
    {
        for (size_t i = 0; i < families->size(); ++i)
            if (families->getObject(i)->getValue<std::string>("name") == name) return families->getObject(i);
        return nullptr;
    }

    // Every sample line of `name` whose labels include all of `labels`.
    std::vector<Poco::JSON::Object::Ptr> all(const std::string& name, const std::map<std::string, std::string>& labels = {}) const
    {
        std::vector<Poco::JSON::Object::Ptr> out;
        for (size_t i = 0; i < samples->size(); ++i) {
            auto s = samples->getObject(i);
            if (s->getValue<std::string>("name") != name) continue;
            auto have = s->getObject("labels");
            if (std::all_of(labels.begin(), labels.end(),
                            [&](const auto& kv) { return have->has(kv.first) && have->getValue<std::string>(kv.first) == kv.second; }))
                out.push_back(s);
        }
        return out;
    }

    bool has(const std::string& name, const std::map<std::string, std::string>& labels = {}) const { return !all(name, labels).empty(); }

    // The value of the one matching sample; 0 when the series does not exist (yet).
    double value(const std::string& name, const std::map<std::string, std::string>& labels = {}) const
    {
        const auto found = all(name, labels);
        EXPECT_LE(found.size(), 1u) << name << " matches several series";
        return found.empty() ? 0.0 : std::stod(found[0]->getValue<std::string>("value"));
    }
};

class ObservabilityTest : public ::testing::Test {
protected:
    void start(std::map<std::string, std::string> env = {})
    {
        VtpdOptions o;
        o.enabled = {"hello", "testkit"};
        o.extraToml = "[plugins.testkit]\nverifier = true\n";
        o.env = std::move(env);
        vtpd_ = std::make_unique<VtpdProcess>(o);
        ASSERT_TRUE(vtpd_->start()) << vtpd_->logs();
    }

    Scrape scrape()
    {
        const auto r = vtpd_->get("/metrics");
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.contentType, "text/plain; version=0.0.4; charset=utf-8");
        std::string json, messages;
        const int rc = runNodeScript("parse-metrics.mjs", r.body, json, messages);
        EXPECT_EQ(rc, 0) << messages << "\n" << r.body;
        auto parsed =
            Poco::JSON::Parser().parse(json.empty() ? R"({"families":[],"samples":[]})" : json).extract<Poco::JSON::Object::Ptr>();
        return Scrape{parsed->getArray("families"), parsed->getArray("samples")};
    }

    // Scrapes until `done` holds (the WebSocket thread counts a message just after handing it to
    // the socket, so the client may see it first); fails after 10 s.
    template <typename Pred>
    Scrape scrapeUntil(Pred done)
    {
        Scrape s;
        pollUntil([&] { return done(s = scrape()); }, std::chrono::seconds(10), std::chrono::milliseconds(5));
        EXPECT_TRUE(done(s)) << "the metrics never reached the expected figures";
        return s;
    }

    std::unique_ptr<VtpdProcess> vtpd_;
};

TEST_F(ObservabilityTest, RequestCountsAndLatencyMoveWithRequests)
{
    start();
    const std::map<std::string, std::string> hello{{"route", "/api/v1/hello/{name}"}, {"method", "GET"}, {"status", "200"}};
    const std::map<std::string, std::string> notFound{{"route", "unmatched"}, {"method", "GET"}, {"status", "404"}};
    const Scrape before = scrape();
    for (const char* name : {"ann", "bob", "cy", "dee", "eve"}) ASSERT_EQ(vtpd_->get(std::string("/api/v1/hello/") + name).status, 200);
    ASSERT_EQ(vtpd_->get("/no/such/route").status, 404);
    // A request is counted just after its response is written, so the client may see it first.
    const Scrape after = scrapeUntil([&](const Scrape& s) {
        return s.value("vtp_http_requests_total", notFound) - before.value("vtp_http_requests_total", notFound) >= 1 &&
               s.value("vtp_http_requests_total", hello) - before.value("vtp_http_requests_total", hello) >= 5;
    });

    EXPECT_EQ(after.value("vtp_http_requests_total", hello) - before.value("vtp_http_requests_total", hello), 5);
    EXPECT_EQ(after.value("vtp_http_requests_total", notFound) - before.value("vtp_http_requests_total", notFound), 1);
    auto f = after.family("vtp_http_requests_total");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->getValue<std::string>("type"), "COUNTER");

    // The latency histogram of the hello route: cumulative buckets ending in +Inf == _count.
    const std::map<std::string, std::string> series{{"route", "/api/v1/hello/{name}"}, {"method", "GET"}};
    std::vector<std::pair<double, double>> buckets;
    for (const auto& b : after.all("vtp_http_request_duration_seconds_bucket", series)) {
        const std::string le = b->getObject("labels")->getValue<std::string>("le");
        buckets.emplace_back(le == "+Inf" ? INFINITY : std::stod(le), std::stod(b->getValue<std::string>("value")));
    }
    std::sort(buckets.begin(), buckets.end());
    ASSERT_GE(buckets.size(), 2u);
    for (size_t i = 1; i < buckets.size(); ++i) EXPECT_GE(buckets[i].second, buckets[i - 1].second) << "buckets are cumulative";
    EXPECT_TRUE(std::isinf(buckets.back().first));
    const double count = after.value("vtp_http_request_duration_seconds_count", series);
    EXPECT_EQ(buckets.back().second, count);
    EXPECT_EQ(count - before.value("vtp_http_request_duration_seconds_count", series), 5);
    EXPECT_GT(after.value("vtp_http_request_duration_seconds_sum", series), 0);
    ASSERT_TRUE(after.family("vtp_http_request_duration_seconds"));
    EXPECT_EQ(after.family("vtp_http_request_duration_seconds")->getValue<std::string>("type"), "HISTOGRAM");

    // The scrape itself is the request in flight.
    EXPECT_EQ(after.value("vtp_http_in_flight_requests"), 1);
    EXPECT_GE(after.value("vtp_http_connections"), 1);
}

TEST_F(ObservabilityTest, ProcessMetricsDescribeVtpd)
{
    start();
    const Scrape s = scrape();
    EXPECT_GT(s.value("process_resident_memory_bytes"), 1024 * 1024);
    // Within a factor of two of what /proc says about the same process.
    EXPECT_NEAR(s.value("process_resident_memory_bytes") / 1024.0, static_cast<double>(residentKiB(vtpd_->pid())),
                static_cast<double>(residentKiB(vtpd_->pid())));
    EXPECT_GT(s.value("process_open_fds"), 3);
    EXPECT_GE(s.value("process_cpu_seconds_total"), 0);
    const double now = static_cast<double>(std::time(nullptr));
    EXPECT_NEAR(s.value("process_start_time_seconds"), now, 120);
    ASSERT_TRUE(s.family("process_cpu_seconds_total"));
    EXPECT_EQ(s.family("process_cpu_seconds_total")->getValue<std::string>("type"), "COUNTER");
}

TEST_F(ObservabilityTest, PluginMetricsShowWhatThePluginSet)
{
    start();
    ASSERT_EQ(vtpd_->request("POST", "/api/v1/testkit/poke?colour=red").status, 200);
    ASSERT_EQ(vtpd_->request("POST", "/api/v1/testkit/poke?colour=red").status, 200);
    ASSERT_EQ(vtpd_->request("POST", "/api/v1/testkit/poke?colour=blue").status, 200);
    const Scrape s = scrape();
    EXPECT_EQ(s.value("vtp_plugin_testkit_widgets"), 42);
    EXPECT_EQ(s.family("vtp_plugin_testkit_widgets")->getValue<std::string>("help"), "Widgets on hand (a test gauge set to 42 at init)");
    EXPECT_EQ(s.value("vtp_plugin_testkit_pokes_total", {{"colour", "red"}}), 2);
    EXPECT_EQ(s.value("vtp_plugin_testkit_pokes_total", {{"colour", "blue"}}), 1);
    EXPECT_EQ(s.family("vtp_plugin_testkit_pokes_total")->getValue<std::string>("type"), "COUNTER");
}

TEST_F(ObservabilityTest, JobsAreCountedByState)
{
    start();
    const Scrape s = scrape();
    ASSERT_TRUE(s.family("vtp_jobs")) << "vtp_jobs is missing";
    for (const char* state : {"queued", "running", "retrying", "succeeded", "failed", "cancelled"})
        EXPECT_TRUE(s.has("vtp_jobs", {{"state", state}})) << state;
    const double succeeded = s.value("vtp_jobs", {{"state", "succeeded"}});
    const auto submitted = vtpd_->request("POST", "/api/v1/testkit/jobs", R"({"steps":1,"tag":"metrics"})", "application/json",
                                          {{"Authorization", testkitToken("u", "student")}});
    ASSERT_EQ(submitted.status, 202) << submitted.body;
    scrapeUntil([&](const Scrape& now) { return now.value("vtp_jobs", {{"state", "succeeded"}}) == succeeded + 1; });
}

TEST_F(ObservabilityTest, EventBusFiguresMoveWithEvents)
{
    start();
    const Scrape before = scrape();
    for (const char* name :
         {"vtp_events_queue_depth", "vtp_events_published_total", "vtp_events_delivered_total", "vtp_events_dropped_total"})
        EXPECT_TRUE(before.has(name)) << name;
    const auto r = vtpd_->request("POST", "/api/v1/testkit/publish", R"({"name":"testkit.metrics","payload":{"n":1}})");
    ASSERT_EQ(r.status, 200) << r.body;
    // testkit subscribes to testkit.*: the event is published once and delivered once.
    const Scrape after = scrapeUntil(
        [&](const Scrape& s) { return s.value("vtp_events_delivered_total") >= before.value("vtp_events_delivered_total") + 1; });
    EXPECT_EQ(after.value("vtp_events_published_total") - before.value("vtp_events_published_total"), 1);
    EXPECT_EQ(after.value("vtp_events_dropped_total"), 0);
    EXPECT_EQ(after.family("vtp_events_dropped_total")->getValue<std::string>("type"), "COUNTER");
}

TEST_F(ObservabilityTest, WebSocketConnectionsAndMessagesAreCounted)
{
    start();
    const Scrape before = scrape();
    EXPECT_EQ(before.value("vtp_ws_connections"), 0);
    {
        WsClient client(vtpd_->wsPort(), "/hello/echo");
        EXPECT_FALSE(client.receive().data.empty()); // the greeting on open
        client.sendText("ping");
        EXPECT_EQ(client.receive().data, "ping");
        const Scrape during = scrapeUntil([&](const Scrape& s) {
            return s.value("vtp_ws_messages_total", {{"direction", "out"}}) >=
                   before.value("vtp_ws_messages_total", {{"direction", "out"}}) + 2;
        });
        EXPECT_EQ(during.value("vtp_ws_connections"), 1);
        EXPECT_EQ(
            during.value("vtp_ws_messages_total", {{"direction", "in"}}) - before.value("vtp_ws_messages_total", {{"direction", "in"}}), 1);
        EXPECT_EQ(during.value("vtp_ws_messages_total", {{"direction", "out"}}) -
                      before.value("vtp_ws_messages_total", {{"direction", "out"}}),
                  2);
        client.socket->shutdown();
    }
    scrapeUntil([](const Scrape& s) { return s.value("vtp_ws_connections") == 0; });
}

TEST_F(ObservabilityTest, MetricsCanRequireTheAdminRole)
{
    start({{"VTP_METRICS__REQUIRE_ADMIN", "true"}});
    EXPECT_EQ(vtpd_->get("/metrics").status, 401);
    EXPECT_EQ(vtpd_->get("/metrics", {{"Authorization", testkitToken("u", "student")}}).status, 403);
    const auto r = vtpd_->get("/metrics", kAdmin);
    EXPECT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("# TYPE vtp_http_requests_total counter"), std::string::npos);
}

TEST_F(ObservabilityTest, OpenApiDocumentIsValidAndListsEveryRoute)
{
    start();
    const auto doc = vtpd_->get("/api/v1/openapi.json");
    ASSERT_EQ(doc.status, 200);
    std::string json, messages;
    ASSERT_EQ(runNodeScript("validate-openapi.mjs", doc.body, json, messages), 0) << messages;
    auto validated = Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
    EXPECT_EQ(validated->getValue<std::string>("openapi"), "3.1.0");
    auto paths = validated->getObject("paths");

    const auto routes = vtpd_->get("/api/v1/admin/routes", kAdmin);
    ASSERT_EQ(routes.status, 200) << routes.body;
    auto list = routes.json()->getArray("routes");
    std::set<std::string> owners;
    for (size_t i = 0; i < list->size(); ++i) {
        auto r = list->getObject(i);
        const std::string path = r->getValue<std::string>("path");
        const std::string method = lowerCase(r->getValue<std::string>("method"));
        owners.insert(r->getValue<std::string>("owner"));
        ASSERT_TRUE(paths->has(path)) << path << " is missing from the API description";
        auto methods = paths->getArray(path);
        bool found = false;
        for (size_t j = 0; j < methods->size(); ++j) found = found || methods->getElement<std::string>(j) == method;
        EXPECT_TRUE(found) << method << " " << path << " is missing from the API description";
    }
    EXPECT_EQ(owners, (std::set<std::string>{"hello", "kernel", "testkit"}));

    // What the document says of two routes the test knows independently of the registry.
    auto full = doc.json();
    auto admin = full->getObject("paths")->getObject("/api/v1/testkit/admin")->getObject("get");
    EXPECT_EQ(admin->getValue<std::string>("x-vtp-role"), "admin");
    EXPECT_TRUE(admin->getObject("responses")->has("403"));
    EXPECT_TRUE(admin->has("security"));
    auto greet = full->getObject("paths")->getObject("/api/v1/hello/{name}")->getObject("get");
    EXPECT_EQ(greet->getArray("tags")->getElement<std::string>(0), "hello");
    EXPECT_EQ(greet->getArray("parameters")->getObject(0)->getValue<std::string>("name"), "name");
    // Public: a token is optional (an empty requirement beside the bearer scheme).
    EXPECT_EQ(greet->getArray("security")->getObject(0)->size(), 0u);
}

TEST_F(ObservabilityTest, LogLevelOfAPluginChangesAtRuntime)
{
    start({{"VTP_LOG__COMPONENTS", "testkit=info"}});
    auto levels = vtpd_->get("/api/v1/admin/log-levels", kAdmin);
    ASSERT_EQ(levels.status, 200) << levels.body;
    EXPECT_EQ(levels.json()->getValue<std::string>("default"), "debug");
    EXPECT_EQ(levels.json()->getObject("components")->getValue<std::string>("testkit"), "info");

    auto poke = [&](const std::string& colour) { ASSERT_EQ(vtpd_->request("POST", "/api/v1/testkit/poke?colour=" + colour).status, 200); };
    auto logged = [&](const std::string& colour) {
        return vtpd_->logs().find("\"msg\":\"testkit poked\",\"colour\":\"" + colour + "\"") != std::string::npos;
    };
    poke("before");
    EXPECT_FALSE(logged("before")) << "testkit is configured at info";

    EXPECT_EQ(vtpd_
                  ->request("PUT", "/api/v1/admin/log-levels/testkit", R"({"level":"debug"})", "application/json",
                            {{"Authorization", testkitToken("u", "student")}})
                  .status,
              403);
    auto put = vtpd_->request("PUT", "/api/v1/admin/log-levels/testkit", R"({"level":"debug"})", "application/json", kAdmin);
    ASSERT_EQ(put.status, 200) << put.body;
    poke("during");
    EXPECT_TRUE(logged("during")) << vtpd_->logs();
    EXPECT_EQ(vtpd_->get("/api/v1/admin/log-levels", kAdmin).json()->getObject("components")->getValue<std::string>("testkit"), "debug");

    auto reset = vtpd_->request("DELETE", "/api/v1/admin/log-levels/testkit", {}, {}, kAdmin);
    ASSERT_EQ(reset.status, 200) << reset.body;
    EXPECT_EQ(reset.json()->getValue<std::string>("level"), "info");
    poke("after");
    EXPECT_FALSE(logged("after"));

    EXPECT_EQ(vtpd_->request("PUT", "/api/v1/admin/log-levels/nosuch", R"({"level":"debug"})", "application/json", kAdmin).status, 404);
    EXPECT_NE(vtpd_->logs().find("\"msg\":\"log level changed\""), std::string::npos) << "changes are logged";
}

TEST_F(ObservabilityTest, MalformedComponentLevelStopsTheStart)
{
    VtpdOptions o;
    o.env = {{"VTP_LOG__COMPONENTS", "hello:debug"}};
    VtpdProcess vtpd(o);
    EXPECT_FALSE(vtpd.start(std::chrono::seconds(10)));
    EXPECT_EQ(vtpd.wait(), 1);
    EXPECT_NE(vtpd.logs().find("log.components"), std::string::npos) << vtpd.logs();
}

} // namespace
