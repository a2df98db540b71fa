#include "protocol/JsonScanner.hpp"

#include <cstdint>
#include <vector>

namespace vtp::signalling::protocol {

namespace {

// {"_placeholder":true,"num":N} in a binary packet stands for attachment N, which must exist.
class PlaceholderHooks {
public:
    static constexpr bool active = true;

    explicit PlaceholderHooks(std::size_t attachments) : attachments_(attachments) {}

    void beginObject(std::size_t depth)
    {
        if (objects_.size() < depth) objects_.resize(depth);
        objects_[depth - 1] = {};
    }

    void key(std::size_t depth, std::string_view name)
    {
        Object& o = objects_[depth - 1];
        o.current = name == "_placeholder" ? Key::Placeholder : name == "num" ? Key::Num : Key::Other;
        // A member whose value is an array or an object leaves these false.
        if (o.current == Key::Placeholder) o.placeholder = false;
        if (o.current == Key::Num) {
            o.numSeen = true;
            o.numValid = false;
        }
    }

    void scalar(std::size_t depth, json::ValueKind kind, std::string_view text)
    {
        // In an array, the state at this depth is that of an object already closed: harmless.
        if (depth == 0 || depth > objects_.size()) return;
        Object& o = objects_[depth - 1];
        if (o.current == Key::Placeholder)
            o.placeholder = kind == json::ValueKind::Bool && text == "true";
        else if (o.current == Key::Num)
            o.numValid = kind == json::ValueKind::Number && parseIndex(text, o.num);
        o.current = Key::Other;
    }

    const char* endObject(std::size_t depth)
    {
        const Object& o = objects_[depth - 1];
        if (!o.placeholder) return nullptr;
        if (!o.numSeen || !o.numValid || o.num >= attachments_) return "placeholder num is not the index of an attachment";
        ++count_;
        return nullptr;
    }

    std::size_t count() const noexcept { return count_; }

private:
    enum class Key : std::uint8_t { Other, Placeholder, Num };
    struct Object {
        Key current = Key::Other;
        bool placeholder = false, numSeen = false, numValid = false;
        std::uint64_t num = 0;
    };

    // A non-negative integer without fraction or exponent (JSON.parse would accept 1.0 as 1;
    // no stock encoder writes it, so it is refused rather than guessed).
    static bool parseIndex(std::string_view text, std::uint64_t& out)
    {
        if (text.empty() || text.size() > 18) return false;
        std::uint64_t x = 0;
        for (const char c : text) {
            if (c < '0' || c > '9') return false;
            x = x * 10 + static_cast<std::uint64_t>(c - '0');
        }
        out = x;
        return true;
    }

    std::size_t attachments_;
    std::size_t count_ = 0;
    std::vector<Object> objects_;
};

Result<JsonSummary> summarize(json::CheckResult&& r, std::size_t placeholders)
{
    if (!r.ok()) {
        const ProtocolErrc code = r.problem == json::CheckProblem::TooDeep   ? ProtocolErrc::TooDeep
                                  : r.problem == json::CheckProblem::Refused ? ProtocolErrc::BadPlaceholder
                                                                             : ProtocolErrc::InvalidJson;
        return ProtocolError(code, "JSON at offset " + std::to_string(r.offset) + ": " + r.message);
    }
    JsonSummary s;
    s.kind = r.kind;
    s.size = r.size;
    s.firstIsString = r.firstIsString;
    s.first = std::move(r.first);
    s.placeholders = placeholders;
    return s;
}

} // namespace

Result<JsonSummary> JsonScanner::scan(std::string_view text, const JsonScanOptions& options)
{
    json::CheckOptions check;
    check.maxDepth = options.maxDepth;
    // More digits than this: the tree (Poco) cannot hold every such value, and JavaScript could
    // not represent it exactly anyway.
    check.integers = json::IntegerRange::Digits18;
    if (!options.placeholders) return summarize(json::check(text, check), 0);
    PlaceholderHooks hooks(options.attachmentCount);
    auto r = json::check(text, check, hooks);
    return summarize(std::move(r), hooks.count());
}

} // namespace vtp::signalling::protocol
