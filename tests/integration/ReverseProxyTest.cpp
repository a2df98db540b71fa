// The nginx configuration in docs/operators.md, run for real in front of vtpd: HTTPS and a
// WebSocket through one TLS origin, and the client address vtpd resolves behind the proxy.
#include "ChildProcess.hpp"
#include "IntegrationSupport.hpp"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/WebSocket.h>

#include <gtest/gtest.h>

#include <thread>

using namespace vtp::test;

namespace {

// The ```nginx block between the doc's nginx-example markers.
std::string documentedNginxConfig()
{
    const std::string doc = readFile(std::string(VTP_SOURCE_DIR) + "/docs/operators.md");
    const size_t begin = doc.find("<!-- nginx-example:begin -->");
    const size_t end = doc.find("<!-- nginx-example:end -->");
    if (begin == std::string::npos || end == std::string::npos) throw std::runtime_error("no nginx example in docs/operators.md");
    const std::string block = doc.substr(begin, end - begin);
    const size_t open = block.find("```nginx\n");
    const size_t close = block.rfind("```");
    return block.substr(open + 9, close - open - 9);
}

void replaceAll(std::string& s, const std::string& from, const std::string& to)
{
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
}

int run(const std::string& command)
{
    return std::system(command.c_str());
}

class ReverseProxy : public ::testing::Test {
protected:
    void SetUp() override
    {
        VtpdOptions o;
        o.enabled = {"hello", "testkit"};
        o.env = {{"VTP_HTTP__TRUSTED_PROXIES", "[\"127.0.0.1\"]"}}; // what the doc tells operators to set
        vtpd_ = std::make_unique<VtpdProcess>(o);
        ASSERT_TRUE(vtpd_->start()) << vtpd_->logs();

        ASSERT_EQ(run("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -keyout " + dir_.file("privkey.pem") +
                      " -out " + dir_.file("fullchain.pem") + " 2>/dev/null"),
                  0);
        port_ = freeLoopbackPort();
        std::string site = documentedNginxConfig();
        replaceAll(site, "127.0.0.1:8080", "127.0.0.1:" + std::to_string(vtpd_->httpPort()));
        replaceAll(site, "127.0.0.1:8081", "127.0.0.1:" + std::to_string(vtpd_->wsPort()));
        replaceAll(site, "listen 443 ssl http2;", "listen 127.0.0.1:" + std::to_string(port_) + " ssl;");
        replaceAll(site, "/etc/ssl/vtp/", dir_.path() + "/");
        ASSERT_NE(site.find(dir_.path()), std::string::npos) << "the documented config no longer has the expected shape";
        const std::string d = dir_.path();
        writeFile(dir_.file("nginx.conf"), "worker_processes 1;\ndaemon off;\npid " + d + "/nginx.pid;\nerror_log " + d +
                                               "/error.log warn;\nevents { worker_connections 256; }\nhttp {\naccess_log off;\n"
                                               "client_body_temp_path " +
                                               d + "/body;\nproxy_temp_path " + d +
                                               "/proxy;\n"
                                               "fastcgi_temp_path " +
                                               d + "/fcgi;\nuwsgi_temp_path " + d + "/uwsgi;\nscgi_temp_path " + d + "/scgi;\n" + site +
                                               "\n}\n");
        nginx_ = std::make_unique<ChildProcess>(
            std::vector<std::string>{"/usr/sbin/nginx", "-p", d, "-e", d + "/error.log", "-c", d + "/nginx.conf"}, d + "/nginx.out");
        ASSERT_TRUE(waitForTcpPort(port_, *nginx_, std::chrono::seconds(20))) << "nginx did not listen: " << readFile(d + "/error.log");
    }

    std::unique_ptr<Poco::Net::HTTPSClientSession> session() const
    {
        Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", Poco::Net::Context::VERIFY_NONE);
        auto s = std::make_unique<Poco::Net::HTTPSClientSession>("127.0.0.1", port_, context);
        s->setTimeout(Poco::Timespan(10, 0));
        return s;
    }
    // curl from a chosen loopback source address, for what vtpd sees behind the proxy.
    std::string curlFrom(const std::string& source, const std::string& path, const std::string& header = "") const
    {
        const std::string out = dir_.file("curl.out");
        const std::string cmd = "curl -sk --interface " + source + (header.empty() ? "" : " -H '" + header + "'") + " -o " + out +
                                " https://127.0.0.1:" + std::to_string(port_) + path;
        if (run(cmd) != 0) throw std::runtime_error("curl failed: " + cmd);
        return readFile(out);
    }

    TempDir dir_;
    std::unique_ptr<VtpdProcess> vtpd_;
    uint16_t port_ = 0;
    std::unique_ptr<ChildProcess> nginx_;
};

} // namespace

TEST_F(ReverseProxy, ServesTheApiOverTls)
{
    auto s = session();
    Poco::Net::HTTPRequest req("GET", "/api/v1/hello/proxy", Poco::Net::HTTPMessage::HTTP_1_1);
    s->sendRequest(req);
    Poco::Net::HTTPResponse resp;
    std::string body;
    Poco::StreamCopier::copyToString(s->receiveResponse(resp), body);
    EXPECT_EQ(resp.getStatus(), 200);
    EXPECT_NE(body.find("proxy"), std::string::npos) << body;
    EXPECT_NE(curlFrom("127.0.0.1", "/metrics").find("403"), std::string::npos) << "metrics stay off the public origin";
}

TEST_F(ReverseProxy, CarriesWebSocketsOnTheSameOrigin)
{
    auto s = session();
    Poco::Net::HTTPRequest req("GET", "/hello/echo", Poco::Net::HTTPMessage::HTTP_1_1);
    Poco::Net::HTTPResponse resp;
    Poco::Net::WebSocket ws(*s, req, resp);
    ws.setReceiveTimeout(Poco::Timespan(10, 0));
    char buf[256];
    int flags = 0;
    int n = ws.receiveFrame(buf, sizeof buf, flags);
    EXPECT_EQ(std::string(buf, static_cast<size_t>(n)), "Hello") << "the endpoint's greeting";
    ws.sendFrame("through the proxy", 17);
    n = ws.receiveFrame(buf, sizeof buf, flags);
    EXPECT_EQ(std::string(buf, static_cast<size_t>(n)), "through the proxy");
    ws.close();
}

TEST_F(ReverseProxy, VtpdSeesTheClientNotTheProxy)
{
    EXPECT_EQ(curlFrom("127.0.0.2", "/api/v1/testkit/remote"), R"({"remote":"127.0.0.2"})");
    // A client cannot pose as someone else: only the hop the proxy saw counts.
    EXPECT_EQ(curlFrom("127.0.0.3", "/api/v1/testkit/remote", "X-Forwarded-For: 198.51.100.1"), R"({"remote":"127.0.0.3"})");
}

TEST_F(ReverseProxy, SendsHstsOnlyOverTheProxysTls)
{
    auto s = session();
    Poco::Net::HTTPRequest req("GET", "/health", Poco::Net::HTTPMessage::HTTP_1_1);
    s->sendRequest(req);
    Poco::Net::HTTPResponse resp;
    std::string body;
    Poco::StreamCopier::copyToString(s->receiveResponse(resp), body);
    EXPECT_EQ(resp.getStatus(), 200);
    EXPECT_EQ(resp.get("Strict-Transport-Security", "(none)"), "max-age=31536000") << "the default http.hsts_max_age_seconds";
    EXPECT_EQ(resp.get("X-Content-Type-Options", "(none)"), "nosniff");
    // Straight to vtpd over plain HTTP: no HSTS (a browser would ignore it there anyway).
    const auto direct = vtpd_->get("/health");
    EXPECT_EQ(direct.headers.count("Strict-Transport-Security"), 0u);
}
