#include "http/HttpPipeline.hpp"
#include "log/Logger.hpp"
#include "metrics/HttpMetrics.hpp"
#include "metrics/Observability.hpp"
#include "metrics/ProcessMetrics.hpp"
#include "config/Config.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <gtest/gtest.h>

#include <ctime>
#include <map>

using namespace vtp::kernel;

namespace {

std::map<std::string, double> processFigures()
{
    std::vector<CollectedFamily> families;
    collectProcessMetrics(families);
    std::map<std::string, double> out;
    for (const auto& f : families)
        if (!f.samples.empty()) out[f.name] = f.samples[0].value;
    return out;
}

TEST(ProcessMetrics, ReportsMemoryCpuFilesAndStartTime)
{
    const auto m = processFigures();
    ASSERT_TRUE(m.count("process_resident_memory_bytes"));
    EXPECT_GT(m.at("process_resident_memory_bytes"), 1024 * 1024);
    EXPECT_GE(m.at("process_virtual_memory_bytes"), m.at("process_resident_memory_bytes"));
    EXPECT_GE(m.at("process_cpu_seconds_total"), 0);
    EXPECT_GE(m.at("process_open_fds"), 3); // stdin, stdout, stderr at least
    const double now = static_cast<double>(std::time(nullptr));
    EXPECT_LE(m.at("process_start_time_seconds"), now + 1);
    EXPECT_GT(m.at("process_start_time_seconds"), now - 24 * 3600);
}

TEST(ProcessMetrics, OpenFdsFollowOpenFiles)
{
    const double before = processFigures().at("process_open_fds");
    std::FILE* f = std::tmpfile();
    ASSERT_NE(f, nullptr);
    const double during = processFigures().at("process_open_fds");
    std::fclose(f);
    EXPECT_EQ(during, before + 1);
}

TEST(HttpMetrics, CountsByRoutePatternMethodAndStatus)
{
    MetricsRegistry r;
    HttpMetrics m(r);
    IncomingRequest get;
    get.method = "GET";
    get.target = "/api/v1/hello/bob?x=1";
    m.onRequest(get, "/api/v1/hello/{name}", 200, 0.002);
    m.onRequest(get, "/api/v1/hello/{name}", 200, 0.2);
    m.onRequest(get, "", 404, 0.001);
    IncomingRequest odd;
    odd.method = "BREW";
    m.onRequest(odd, "", 405, 0.001);
    const auto text = r.render();
    EXPECT_NE(text.find("vtp_http_requests_total{route=\"/api/v1/hello/{name}\",method=\"GET\",status=\"200\"} 2\n"), std::string::npos)
        << text;
    EXPECT_NE(text.find("vtp_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"} 1\n"), std::string::npos);
    EXPECT_NE(text.find("vtp_http_requests_total{route=\"unmatched\",method=\"other\",status=\"405\"} 1\n"), std::string::npos);
    EXPECT_NE(text.find("vtp_http_request_duration_seconds_count{route=\"/api/v1/hello/{name}\",method=\"GET\"} 2\n"), std::string::npos);
    EXPECT_NE(text.find("vtp_http_request_duration_seconds_bucket{route=\"/api/v1/hello/{name}\",method=\"GET\",le=\"0.005\"} 1\n"),
              std::string::npos);
    EXPECT_EQ(text.find("bob"), std::string::npos) << "raw paths never become labels";
}

TEST(RequestObservers, CallsEachObserverInOrder)
{
    struct Recorder : RequestObserver {
        std::vector<std::string>* seen;
        std::string name;
        void onRequest(const IncomingRequest&, const std::string& route, int, double) override { seen->push_back(name + route); }
    };
    std::vector<std::string> seen;
    Recorder a, b;
    a.seen = b.seen = &seen;
    a.name = "a";
    b.name = "b";
    RequestObservers list;
    list.add(&a);
    list.add(&b);
    list.onRequest(IncomingRequest{}, "/r", 200, 0);
    EXPECT_EQ(seen, (std::vector<std::string>{"a/r", "b/r"}));
}

// ------------------------------------------------------------------ the routes, through the pipeline

class AdminAuth : public Authenticator {
public:
    bool available() const override { return true; }
    bool verify(std::string_view token, Principal& out, std::string&) override
    {
        if (token == "admin")
            out = {"root", {"admin"}};
        else if (token == "user")
            out = {"someone", {"student"}};
        else
            return false;
        return true;
    }
};

class ObservabilityRoutes : public ::testing::Test {
protected:
    ObservabilityRoutes() : sink_(std::fopen("/dev/null", "w")), log_(sink_), pipeline_(router_, HttpLimits{}, log_)
    {
        pipeline_.setAuthenticator(&auth_);
    }
    ~ObservabilityRoutes() override
    {
        obs_.reset();
        std::fclose(sink_);
    }

    void start(ObservabilitySettings s = {})
    {
        s.version = "9.9.9";
        obs_ = std::make_unique<Observability>(router_, log_, std::move(s), [] { return std::vector<std::string>{"hello"}; });
        obs_->registerRoutes();
    }

    HttpResponseData call(const std::string& method, const std::string& target, const std::string& token = {}, const std::string& body = {})
    {
        IncomingRequest req;
        req.method = method;
        req.target = target;
        if (!token.empty()) req.headers.emplace_back("authorization", "Bearer " + token);
        if (!body.empty() || method == "PUT") {
            req.headers.emplace_back("content-type", "application/json");
            req.contentLength = body.size();
        }
        return pipeline_.handle(req, body);
    }

    static Poco::JSON::Object::Ptr json(const HttpResponseData& r)
    {
        return Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>();
    }

    std::FILE* sink_;
    Logger log_;
    Router router_;
    AdminAuth auth_;
    HttpPipeline pipeline_;
    std::unique_ptr<Observability> obs_;
};

TEST_F(ObservabilityRoutes, MetricsArePublicTextByDefault)
{
    start();
    obs_->metrics().add("vtp_test_gauge", "A test gauge.", MetricType::Gauge).series()->set(12);
    const auto r = call("GET", "/metrics");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.contentType, "text/plain; version=0.0.4; charset=utf-8");
    EXPECT_NE(r.body.find("vtp_test_gauge 12\n"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("process_resident_memory_bytes "), std::string::npos);
}

TEST_F(ObservabilityRoutes, MetricsCanRequireAdmin)
{
    ObservabilitySettings s;
    s.metricsRequireAdmin = true;
    start(s);
    EXPECT_EQ(call("GET", "/metrics").status, 401);
    EXPECT_EQ(call("GET", "/metrics", "user").status, 403);
    EXPECT_EQ(call("GET", "/metrics", "admin").status, 200);
}

TEST_F(ObservabilityRoutes, MetricsCanBeTurnedOff)
{
    ObservabilitySettings s;
    s.metricsEnabled = false;
    start(s);
    EXPECT_EQ(call("GET", "/metrics").status, 404);
}

TEST_F(ObservabilityRoutes, OpenApiIsPublicAndListsTheKernelRoutes)
{
    start();
    const auto r = call("GET", "/api/v1/openapi.json");
    ASSERT_EQ(r.status, 200);
    const auto doc = json(r);
    EXPECT_EQ(doc->getValue<std::string>("openapi"), "3.1.0");
    EXPECT_EQ(doc->getObject("info")->getValue<std::string>("version"), "9.9.9");
    const auto paths = doc->getObject("paths");
    EXPECT_TRUE(paths->has("/metrics"));
    EXPECT_TRUE(paths->getObject("/api/v1/admin/log-levels/{component}")->has("put"));
}

TEST_F(ObservabilityRoutes, AdminRoutesNeedTheAdminRole)
{
    start();
    EXPECT_EQ(call("GET", "/api/v1/admin/routes").status, 401);
    EXPECT_EQ(call("GET", "/api/v1/admin/log-levels", "user").status, 403);
    const auto r = call("GET", "/api/v1/admin/routes", "admin");
    ASSERT_EQ(r.status, 200);
    const auto routes = json(r)->getArray("routes");
    EXPECT_EQ(routes->size(), router_.routes().size());
}

TEST_F(ObservabilityRoutes, LogLevelsChangeAndResetAtRuntime)
{
    ObservabilitySettings s;
    s.componentLevels = {"hello=warn"};
    start(s);
    EXPECT_FALSE(log_.enabled(LogLevel::Info, "hello"));

    auto r = call("PUT", "/api/v1/admin/log-levels/hello", "admin", R"({"level":"debug"})");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json(r)->getValue<std::string>("level"), "debug");
    EXPECT_TRUE(log_.enabled(LogLevel::Debug, "hello"));

    r = call("GET", "/api/v1/admin/log-levels", "admin");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(json(r)->getValue<std::string>("default"), "info");
    EXPECT_EQ(json(r)->getObject("components")->getValue<std::string>("hello"), "debug");

    r = call("DELETE", "/api/v1/admin/log-levels/hello", "admin");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(json(r)->getValue<std::string>("level"), "warn");
    EXPECT_FALSE(log_.enabled(LogLevel::Info, "hello"));
}

TEST_F(ObservabilityRoutes, LogLevelChangesAreChecked)
{
    start();
    EXPECT_EQ(call("PUT", "/api/v1/admin/log-levels/nosuch", "admin", R"({"level":"debug"})").status, 404);
    EXPECT_EQ(call("PUT", "/api/v1/admin/log-levels/http", "admin", R"({"level":"loud"})").status, 422);
    EXPECT_EQ(call("PUT", "/api/v1/admin/log-levels/http", "admin", R"({"lvl":"debug"})").status, 422);
    EXPECT_EQ(call("DELETE", "/api/v1/admin/log-levels/nosuch", "admin").status, 404);
    EXPECT_TRUE(log_.enabled(LogLevel::Info, "http"));
}

TEST_F(ObservabilityRoutes, MalformedConfiguredLevelsAreAConfigError)
{
    ObservabilitySettings s;
    s.componentLevels = {"hello:debug"};
    try {
        start(s);
        FAIL() << "accepted a malformed log.components entry";
    } catch (const ConfigError& e) {
        ASSERT_EQ(e.issues().size(), 1u);
        EXPECT_EQ(e.issues()[0].key, "log.components");
    }
}

TEST_F(ObservabilityRoutes, RequestObserverFeedsTheMetricsThenTheNextObserver)
{
    start();
    struct Count : RequestObserver {
        int n = 0;
        void onRequest(const IncomingRequest&, const std::string&, int, double) override { ++n; }
    } next;
    RequestObserver* o = obs_->requestObserver(&next);
    IncomingRequest req;
    req.method = "GET";
    o->onRequest(req, "/metrics", 200, 0.01);
    EXPECT_EQ(next.n, 1);
    EXPECT_NE(call("GET", "/metrics").body.find("vtp_http_requests_total{route=\"/metrics\",method=\"GET\",status=\"200\"} 1\n"),
              std::string::npos);
}

} // namespace
