// The strict JSON check (sdk/include/vtp/json_check.hpp, RapidJSON underneath) beside the two
// hand-written checkers it replaced (built by run.sh from the last commit that had them) and
// simdjson's DOM parser, on the inputs the server sees. Prints one line per input and checker:
// input, checker, ns/op, verdict. run.sh runs it three times and reports medians and ratios.

#include "http/JsonCheck.hpp"
#include "protocol/JsonScanner.hpp"

#include <simdjson.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace vtp::kernel::baseline {
JsonCheckResult checkJson(std::string_view text, size_t maxDepth = 64);
}
#include "baseline/JsonScannerOld.hpp"

namespace {

using Clock = std::chrono::steady_clock;

// Calls f until 0.3 s have passed (at least 50 times); ns per call.
double measure(const std::function<bool()>& f, bool& verdict)
{
    for (int i = 0; i < 20; ++i) verdict = f(); // warm-up
    std::size_t n = 0;
    const auto start = Clock::now();
    auto now = start;
    while (n < 50 || now - start < std::chrono::milliseconds(300)) {
        for (int i = 0; i < 20; ++i) verdict = f();
        n += 20;
        now = Clock::now();
    }
    return std::chrono::duration<double, std::nano>(now - start).count() / static_cast<double>(n);
}

std::string restBody1k()
{
    // A course as the courses plugin's POST takes it, padded with a description to about 1 KiB.
    std::string s = R"({"code":"CS-204","title":"Algorithms and Data Structures \u00e9t\u00e9 2026","credits":6,)"
                    R"("capacity":120,"startsOn":"2026-09-14","endsOn":"2026-12-18","timeZone":"Europe/Zurich",)"
                    R"("tags":["core","second-year","lab"],"instructors":[{"id":"0b7c6f3e-2a41-4d7e-9c55-3f0e8f1a2b3c","role":"lead"},)"
                    R"({"id":"5d2e8a90-7b13-4c6f-8e21-9a4b3c2d1e0f","role":"assistant"}],"sessions":[)";
    for (int i = 0; i < 4; ++i) {
        if (i) s += ',';
        s += R"({"weekday":)" + std::to_string(i + 1) + R"(,"start":"09:15","minutes":90,"room":"HG E )" + std::to_string(40 + i) +
             R"(","online":false})";
    }
    s += R"(],"description":")";
    while (s.size() < 1000) s += "Sorting, searching, graphs and dynamic programming. ";
    s += R"(","published":true,"waitlist":null})";
    return s;
}

std::string restBody64k()
{
    // A roster import: 64 KiB of student records.
    std::string s = R"({"courseId":"0b7c6f3e-2a41-4d7e-9c55-3f0e8f1a2b3c","students":[)";
    for (int i = 0; s.size() < 65000; ++i) {
        if (i) s += ',';
        s += R"({"email":"student)" + std::to_string(i) + R"(@example.org","name":"Zo\u00eb M\u00fcller-)" + std::to_string(i) +
             R"(","group":)" + std::to_string(i % 12) + R"(,"score":)" + std::to_string(i % 100) + R"(.5,"active":true})";
    }
    s += "]}";
    return s;
}

} // namespace

int main()
{
    const std::string rest1k = restBody1k(), rest64k = restBody64k();
    const std::string chat =
        R"(["chat:send",{"roomId":"7f3c2a10-9b4e-4d21-8c6f-2e5a1b0d9c84","text":"Could you go over the proof of )"
        R"(lemma 3 again? I lost track after the induction step \ud83d\ude05","clientMsgId":"m-18234","replyTo":null}])";
    const std::string deepOk = std::string(30, '[') + std::string(30, ']'); // within both limits (64 and 32)
    const std::string deepBad = "[\"a\"," + std::string(10000, '[');        // refused at the limit
    std::string invalidEnd = rest1k;
    invalidEnd.insert(invalidEnd.size() - 1, ","); // a trailing comma at the end
    std::string duplicate = rest1k;
    duplicate.insert(duplicate.size() - 1, R"(,"credits":7)"); // a member given twice

    struct Input {
        const char* name;
        const std::string* text;
    };
    const std::vector<Input> inputs{{"rest-1k", &rest1k},
                                    {"rest-64k", &rest64k},
                                    {"socketio-chat", &chat},
                                    {"nested-30", &deepOk},
                                    {"nested-10000-refused", &deepBad},
                                    {"invalid-at-end", &invalidEnd},
                                    {"duplicate-member", &duplicate}};

    for (const auto& in : inputs) {
        const std::string_view t = *in.text;
        const simdjson::padded_string padded(t);
        simdjson::dom::parser parser;
        if (parser.allocate(t.size(), 64) != simdjson::SUCCESS) return 1;
        struct Row {
            const char* checker;
            std::function<bool()> f;
        };
        const std::vector<Row> rows{
            {"kernel-old", [&] { return vtp::kernel::baseline::checkJson(t).ok; }},
            {"kernel-new", [&] { return vtp::kernel::checkJson(t).ok; }},
            {"signalling-old", [&] { return vtp::signalling::protocol::baseline::JsonScanner::scan(t).ok(); }},
            {"signalling-new", [&] { return vtp::signalling::protocol::JsonScanner::scan(t).ok(); }},
            // Syntax, UTF-8 and depth only (no duplicates, number ranges or positions), input padded beforehand.
            {"simdjson-dom", [&] { return parser.parse(padded).error() == simdjson::SUCCESS; }},
        };
        for (const auto& row : rows) {
            bool verdict = false;
            const double ns = measure(row.f, verdict);
            std::printf("%s\t%s\t%.1f\t%s\n", in.name, row.checker, ns, verdict ? "accepted" : "refused");
        }
    }
}
