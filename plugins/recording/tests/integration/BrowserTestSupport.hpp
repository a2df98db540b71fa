#pragma once

// What the tests in Debian's headless chromium share (player/: playwright-core, tus-js-client,
// hls.js, dash.js from npm): a page that records and uploads (capture.mjs), a page that plays a
// signed URL (player.mjs), each one node process printing one JSON line; and a recording followed
// until processing has settled.

#include "RecordingTestSupport.hpp"

#include <Poco/JSON/Parser.h>

namespace vtp::test {

// Runs node SCRIPT (in player/) with `args` as its JSON argument and returns the JSON line it
// printed (the line that starts with {"ok").
inline JsonObject runBrowserScript(const std::string& script, Poco::JSON::Object args)
{
    args.set("chromium", VTP_TEST_CHROMIUM);
    std::ostringstream json;
    args.stringify(json);
    std::string output;
    const int code = VtpdProcess::run({VTP_TEST_NODE, std::string(VTP_RECORDING_PLAYER_DIR) + "/" + script, json.str()}, output);
    if (code != 0) throw std::runtime_error(script + " failed (" + std::to_string(code) + "): " + output);
    const size_t at = output.find("{\"ok\"");
    if (at == std::string::npos) throw std::runtime_error(script + " printed no result: " + output);
    return Poco::JSON::Parser().parse(output.substr(at, output.find('\n', at) - at)).extract<JsonObject>();
}

// Plays a signed URL with hls.js (`kind` "hls") or dash.js ("dash") in a page of vtpd's origin
// until the video's clock passes `until` seconds: {ok, currentTime, decodedFrames, duration,
// errors}. The page is given the URL and nothing else (no Authorization header).
inline JsonObject playInChromium(RecordingServer& s, const std::string& kind, const std::string& url, double until)
{
    Poco::JSON::Object args;
    args.set("origin", "http://127.0.0.1:" + std::to_string(s.vtpd().httpPort()));
    args.set("url", url);
    args.set("kind", kind);
    args.set("until", until);
    return runBrowserScript("player.mjs", args);
}

// The recording once processing has ended (ready or failed).
inline JsonObject settledRecording(RecordingServer& s, const Account& who, const std::string& id,
                                   std::chrono::seconds within = std::chrono::seconds(240))
{
    JsonObject last;
    const bool done = pollUntil(
        [&] {
            last = s.expect(200, "GET", "/api/v1/recordings/" + id, who);
            return str(last, "state") != "processing" && str(last, "state") != "recording";
        },
        within, std::chrono::milliseconds(200));
    if (!done) throw std::runtime_error("still processing: " + RecordingServer::stringify(last));
    return last;
}

} // namespace vtp::test
