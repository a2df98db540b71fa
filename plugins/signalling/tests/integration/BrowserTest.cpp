// Real WebRTC peers signalled through vtpd: two headless Chromium pages (Debian's chromium driven
// by playwright-core, fake camera and microphone; tests/e2e/browser.mjs and webrtc.html) use the
// stock socket.io-client browser build, join one room, exchange offer, answer and ICE candidates
// as `signal` events, reach connectionState "connected" and decode each other's video. Then the
// same through a real coturn server only (iceTransportPolicy "relay"), with the TURN REST
// credentials vtpd hands out in the room:join ack.
#include "PeerTestSupport.hpp"

using namespace vtp::test;

namespace {

const char* kPassword = "lecture-hall-42-blue";
const char* kTurnSecret = "coturn-shared-secret-for-the-browser-test";

class BrowserPeers : public ::testing::Test {
protected:
    // Starts vtpd (SQLite) with `iceToml`, makes an instructor and a student and a room.
    void startServer(const std::string& iceToml)
    {
        // browser.mjs serves the page from this port: long-polling to vtpd is cross-origin.
        pagePort_ = freeLoopbackPort();
        const std::string origin = "http://127.0.0.1:" + std::to_string(pagePort_);
        server_ = std::make_unique<AuthServer>(
            Backend::SQLite, std::string(kFastArgon) + "[plugins.signalling]\ncors_origins = [\"" + origin + "\"]\n\n" + iceToml,
            std::vector<std::string>{"auth", "signalling"});
        ASSERT_TRUE(server_->start()) << server_->vtpd().logs();
        server_->createUser("prof@uni.example", kPassword, "instructor");
        server_->createUser("ada@uni.example", kPassword, "student");
        tokens_["a"] = server_->login("prof@uni.example", kPassword).access;
        tokens_["b"] = server_->login("ada@uni.example", kPassword).access;
        auto r = server_->post("/api/v1/rooms", R"({"name":"Video seminar"})", bearer(tokens_["a"]));
        ASSERT_EQ(r.status, 201) << r.body;
        room_ = jsonString(r.json(), "id");
    }

    struct Peer {
        std::string name, local;
        int frames = 0, sent = 0, received = 0;
    };
    // Runs browser.mjs; returns what each page reported once both decoded video (none if not).
    std::vector<Peer> runPeers(const std::string& policy, const std::string& turnUrl = "")
    {
        TempDir dir;
        Poco::JSON::Object config;
        config.set("url", "http://127.0.0.1:" + std::to_string(server_->vtpd().wsPort()));
        Poco::JSON::Object tokens;
        for (const auto& [k, v] : tokens_) tokens.set(k, v);
        config.set("tokens", tokens);
        config.set("room", room_);
        config.set("pagePort", static_cast<int>(pagePort_));
        config.set("policy", policy);
        config.set("turnUrl", turnUrl);
        config.set("chromium", VTP_TEST_CHROMIUM);
        config.set("timeoutMs", 100000);
        std::ostringstream text;
        config.stringify(text);
        writeFile(dir.file("config.json"), text.str());
        ChildProcess script({VTP_TEST_NODE_BIN, std::string(VTP_SIGNALLING_E2E_DIR) + "/browser.mjs", dir.file("config.json")},
                            dir.file("peers.log"));
        const int rc = script.wait(std::chrono::seconds(120));
        const std::string out = script.output();
        EXPECT_EQ(rc, 0) << out << "\n--- vtpd\n" << server_->vtpd().logs();
        std::cout << out;
        const auto pass = out.find("PASS\n{");
        if (rc != 0 || pass == std::string::npos) return {};
        auto report =
            Poco::JSON::Parser().parse(out.substr(pass + 5, out.find('\n', pass + 5) - pass - 5)).extract<Poco::JSON::Object::Ptr>();
        std::vector<Peer> peers;
        auto list = report->getArray("peers");
        for (size_t i = 0; i < list->size(); ++i) {
            auto p = list->getObject(static_cast<unsigned>(i));
            auto signals = p->getObject("signals");
            peers.push_back({jsonString(p, "name"), jsonString(p, "local"), p->getValue<int>("frames"), signals->getValue<int>("sent"),
                             signals->getValue<int>("received")});
        }
        return peers;
    }

    std::unique_ptr<AuthServer> server_;
    std::map<std::string, std::string> tokens_;
    std::string room_;
    uint16_t pagePort_ = 0;
};

TEST_F(BrowserPeers, TwoChromiumPagesConnectThroughVtpdAndDecodeEachOthersVideo)
{
    startServer("");
    const auto peers = runPeers("all");
    ASSERT_EQ(peers.size(), 2u);
    for (const auto& p : peers) {
        EXPECT_GT(p.frames, 0) << p.name;
        EXPECT_EQ(p.local, "host") << p.name << ": no TURN server was configured";
        // The offer or answer and at least one ICE candidate went each way through vtpd.
        EXPECT_GE(p.sent, 2) << p.name;
        EXPECT_GE(p.received, 2) << p.name;
    }
}

TEST_F(BrowserPeers, RelayOnlyPeersConnectThroughCoturnWithTheCredentialsVtpdHandsOut)
{
    TurnServer turn(kTurnSecret);
    startServer("[plugins.signalling.ice]\nturn_urls = [\"" + turn.url() + "\"]\nturn_secret = \"" + kTurnSecret +
                "\"\nturn_ttl_seconds = 600\n");
    const auto peers = runPeers("relay", turn.url());
    ASSERT_EQ(peers.size(), 2u) << "\n--- coturn\n" << turn.logs();
    for (const auto& p : peers) {
        EXPECT_GT(p.frames, 0) << p.name;
        EXPECT_EQ(p.local, "relay") << p.name;
    }
    // coturn allocated relays for both users with the credentials vtpd made for them (TURN REST
    // usernames are "expiry:user id"; a wrong password gets 401 and no allocation).
    const std::string logs = turn.logs();
    for (const char* who : {"a", "b"}) {
        const std::string id = jsonString(server_->vtpd().get("/api/v1/users/me", bearer(tokens_[who])).json(), "id");
        EXPECT_NE(logs.find(":" + id + ">: incoming packet ALLOCATE processed, success"), std::string::npos) << who << "\n" << logs;
    }
}

} // namespace
