// vtp/json_check.hpp on its own: the parts that RapidJSON does not do and the header adds.
// The kernel's and the signalling plugin's tests cover the messages their clients see.

#include <vtp/json_check.hpp>

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>

using vtp::json::check;
using vtp::json::CheckProblem;
using vtp::json::ValueKind;

TEST(JsonCheck, SumsUpTheTopLevelValue)
{
    auto r = check(R"( ["chat:send", {"text": "hi"}, 3] )");
    ASSERT_TRUE(r.ok()) << r.message;
    EXPECT_EQ(r.kind, ValueKind::Array);
    EXPECT_EQ(r.size, 3u);
    EXPECT_TRUE(r.firstIsString);
    EXPECT_EQ(r.first, "chat:send");
    r = check(R"({"a": ["x"], "b": {}})");
    EXPECT_EQ(r.kind, ValueKind::Object);
    EXPECT_EQ(r.size, 2u);
    EXPECT_FALSE(r.firstIsString) << "only a top-level array's first element counts";
    EXPECT_EQ(check("\"\\u00e9\"").kind, ValueKind::String);
}

TEST(JsonCheck, RefusesANulByteThatRapidJsonWouldTakeForTheEnd)
{
    for (const std::string& t :
         {std::string("{}\0", 3), std::string("{}\0{\"a\":1}", 10), std::string("[1,\0 2]", 7), std::string("\"a\0b\"", 5)}) {
        const auto r = check(t);
        EXPECT_EQ(r.problem, CheckProblem::Syntax) << t.size();
    }
    EXPECT_EQ(check(std::string("{}\0", 3)).offset, 2u);
}

TEST(JsonCheck, RefusesALoneLowSurrogateEscapeThatRapidJsonLetsThrough)
{
    for (const char* t : {"\"\\udc00\"", "{\"\\uDFFF\":1}", "[\"ok\", \"a\\ud83d\\ude00\\udc00\"]"}) {
        const auto r = check(t);
        EXPECT_EQ(r.problem, CheckProblem::Syntax) << t;
        EXPECT_NE(r.message.find("lone UTF-16 surrogate escape"), std::string::npos) << r.message;
    }
    EXPECT_EQ(check("[\"ok\", \"a\\ud83d\\ude00\\udc00\"]").offset, 21u) << "points at the lone escape";
}

TEST(JsonCheck, RefusesTextThatIsNotUtf8InStringsAndNames)
{
    for (const char* t :
         {"\"\xc3\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "{\"\xe2\x82\":1}", "[\"abcdefgh\xff\"]"}) {
        const auto r = check(t);
        EXPECT_EQ(r.problem, CheckProblem::Syntax) << t;
        EXPECT_EQ(r.message, "invalid UTF-8") << t;
    }
    EXPECT_EQ(check("[\"abcdefgh\xff\"]").offset, 10u);
    EXPECT_TRUE(check("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 and eight more ascii\"").ok());
}

TEST(JsonCheck, FindsADuplicateAmongManyMembersAndForgetsClosedObjects)
{
    std::string many = "{";
    for (int i = 0; i < 40; ++i) many += "\"k" + std::to_string(i) + "\":{\"k0\":1},";
    const auto ok = check(many + "\"last\":0}");
    EXPECT_TRUE(ok.ok()) << ok.message;
    const auto dup = check(many + "\"k17\":0}");
    EXPECT_EQ(dup.problem, CheckProblem::DuplicateMember);
    EXPECT_EQ(dup.pointer, "/k17");
    // After a failure in the middle of an object, the next check starts clean.
    EXPECT_EQ(check(R"({"a":1,"b":[)").problem, CheckProblem::Syntax);
    EXPECT_TRUE(check(R"({"a":1,"b":2})").ok());
}

TEST(JsonCheck, AppliesTheIntegerRangeAndTheDepthLimitAsAsked)
{
    vtp::json::CheckOptions digits;
    digits.integers = vtp::json::IntegerRange::Digits18;
    EXPECT_TRUE(check("[999999999999999999]", digits).ok());
    EXPECT_EQ(check("[1000000000000000000]", digits).problem, CheckProblem::NumberRange);
    EXPECT_TRUE(check("[1000000000000000000]").ok());
    vtp::json::CheckOptions shallow;
    shallow.maxDepth = 2;
    EXPECT_TRUE(check("[[1]]", shallow).ok());
    const auto deep = check("[[[1]]]", shallow);
    EXPECT_EQ(deep.problem, CheckProblem::TooDeep);
    EXPECT_EQ(deep.offset, 2u);
    vtp::json::CheckOptions huge;
    huge.maxDepth = 100000;
    EXPECT_EQ(check(std::string(600, '[') + std::string(600, ']'), huge).problem, CheckProblem::TooDeep)
        << "never deeper than kMaxDepthCeiling";
}

namespace {

// Refuses any object with a member "no"; checks every string value again from inside the hook.
struct Hooks {
    static constexpr bool active = true;
    bool sawNo = false;
    int nested = 0;
    void beginObject(std::size_t) { sawNo = false; }
    void key(std::size_t, std::string_view name) { sawNo = sawNo || name == "no"; }
    void scalar(std::size_t, ValueKind kind, std::string_view text)
    {
        if (kind == ValueKind::String && check(text).ok()) ++nested;
    }
    const char* endObject(std::size_t) { return sawNo ? "no 'no'" : nullptr; }
};

} // namespace

TEST(JsonCheck, HooksSeeTheDocumentAndMayRefuseAnObject)
{
    Hooks hooks;
    EXPECT_TRUE(check(R"({"a":"[1,2]","b":"{\"x\":true}"})", {}, hooks).ok());
    EXPECT_EQ(hooks.nested, 2) << "a check inside a hook has its own scratch";
    const auto r = check(R"([{"a":1},{"no":1}])", {}, hooks);
    EXPECT_EQ(r.problem, CheckProblem::Refused);
    EXPECT_EQ(r.message, "no 'no'");
}

// The string scan goes 16 bytes at a time: whatever it stops at must be found at every position
// of a block, in text that ends right after it (an exact-size heap copy, so a sanitizer build
// sees any read past the end). RapidJSON 1.1's own SSE2 scan let 0x1A-0x1F through.
TEST(JsonCheck, FindsEveryControlCharacterAndBadUtf8AtEveryPositionOfTheScan)
{
    const auto checkExact = [](const std::string& s, auto&&... args) {
        const std::unique_ptr<char[]> copy(new char[s.size()]);
        std::memcpy(copy.get(), s.data(), s.size());
        return check(std::string_view(copy.get(), s.size()), args...);
    };
    for (std::size_t at = 0; at < 40; ++at) {
        const std::string before(at, 'a'), after(40 - at, 'b');
        for (int c = 0; c < 0x20; ++c) {
            const auto r = checkExact("[\"" + before + static_cast<char>(c) + after + "\"]");
            EXPECT_EQ(r.problem, CheckProblem::Syntax) << "byte " << c << " at " << at;
            EXPECT_EQ(r.offset, 2 + at) << "byte " << c << " at " << at;
        }
        for (const std::string bad : {"\xff", "\xc3", "\xe2\x82", "\xed\xa0\x80", "\xc0\xaf", "\xf4\x90\x80\x80"}) {
            const auto r = checkExact("{\"" + before + bad + after + "\":1}");
            EXPECT_EQ(r.problem, CheckProblem::Syntax) << "at " << at;
            EXPECT_EQ(r.offset, 2 + at) << "at " << at;
            EXPECT_EQ(r.message, "invalid UTF-8");
        }
        // Valid UTF-8 across the 16-byte steps, and a string that ends with the text.
        const auto r = checkExact("[\"" + before + "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x85" + after + "\"]");
        EXPECT_TRUE(r.ok()) << r.message;
        EXPECT_EQ(r.first, before + "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x85" + after);
        const auto open = checkExact("[\"" + before + after);
        EXPECT_EQ(open.problem, CheckProblem::Syntax);
        EXPECT_TRUE(open.atEnd);
        EXPECT_EQ(open.message, "unterminated string");
    }
}

// A string with an escape is decoded apart from the text; one without is read where it is. Names
// of both kinds must stay intact for the duplicate check until their object closes.
TEST(JsonCheck, DecodesEscapesAnywhereInALongStringAndKeepsEveryName)
{
    for (std::size_t at = 0; at < 40; ++at) {
        const std::string before(at, 'x'), after(40 - at, 'y');
        auto r = check("[\"" + before + "\\n\\u00e9\\ud83d\\ude05\\\"" + after + "\", \"plain\"]");
        ASSERT_TRUE(r.ok()) << r.message;
        EXPECT_EQ(r.first, before + "\n\xc3\xa9\xf0\x9f\x98\x85\"" + after);
        // The same name written with and without an escape is the same name.
        r = check("{\"" + before + "\\u0041" + after + "\":1,\"n\":{\"k\":2},\"" + before + "A" + after + "\":3}");
        EXPECT_EQ(r.problem, CheckProblem::DuplicateMember) << at;
        EXPECT_EQ(r.pointer, "/" + before + "A" + after);
    }
}
