#include "protocol/JsonWriter.hpp"

#include "protocol/Binary.hpp"
#include "vtp/json_string.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <charconv>
#include <cmath>
#include <optional>

namespace vtp::signalling::protocol {

namespace {

template <typename Int>
void appendInteger(std::string& out, Int v)
{
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

class TreeWriter {
public:
    TreeWriter(std::string& out, std::vector<std::string>* attachments, std::size_t maxDepth)
        : out_(out), attachments_(attachments), maxDepth_(maxDepth)
    {
    }

    std::optional<ProtocolError> error;
    std::size_t added = 0;

    bool write(const Poco::Dynamic::Var& v, std::size_t depth)
    {
        using Poco::JSON::Array;
        using Poco::JSON::Object;
        if (v.isEmpty()) {
            out_ += "null";
            return true;
        }
        const std::type_info& t = v.type();
        if (t == typeid(Binary)) return binary(v.extract<Binary>());
        if (t == typeid(Object::Ptr)) {
            const auto& p = v.extract<Object::Ptr>();
            if (p.isNull()) {
                out_ += "null";
                return true;
            }
            return object(*p, depth);
        }
        if (t == typeid(Object)) return object(v.extract<Object>(), depth);
        if (t == typeid(Array::Ptr)) {
            const auto& p = v.extract<Array::Ptr>();
            if (p.isNull()) {
                out_ += "null";
                return true;
            }
            return array(p->begin(), p->end(), depth);
        }
        if (t == typeid(Array)) {
            const auto& a = v.extract<Array>();
            return array(a.begin(), a.end(), depth);
        }
        if (t == typeid(std::vector<Poco::Dynamic::Var>)) {
            const auto& a = v.extract<std::vector<Poco::Dynamic::Var>>();
            return array(a.begin(), a.end(), depth);
        }
        if (t == typeid(std::string)) {
            JsonWriter::appendString(out_, v.extract<std::string>());
            return true;
        }
        if (v.isBoolean()) {
            out_ += v.convert<bool>() ? "true" : "false";
            return true;
        }
        if (v.isInteger()) {
            if (v.isSigned())
                appendInteger(out_, v.convert<Poco::Int64>());
            else
                appendInteger(out_, v.convert<Poco::UInt64>());
            return true;
        }
        if (v.isNumeric()) {
            JsonWriter::appendNumber(out_, v.convert<double>());
            return true;
        }
        // Anything else Poco can render as text (dates, chars) is written as a string.
        JsonWriter::appendString(out_, v.convert<std::string>());
        return true;
    }

private:
    bool enter(std::size_t depth)
    {
        if (depth + 1 > maxDepth_) {
            error.emplace(ProtocolErrc::TooDeep, "payload nesting deeper than the limit");
            return false;
        }
        return true;
    }

    bool binary(const Binary& b)
    {
        if (!attachments_) {
            error.emplace(ProtocolErrc::BadArgument, "binary data in a packet type that cannot carry it");
            return false;
        }
        out_ += "{\"_placeholder\":true,\"num\":";
        appendInteger(out_, attachments_->size());
        out_ += '}';
        attachments_->emplace_back(b.bytes());
        ++added;
        return true;
    }

    bool object(const Poco::JSON::Object& o, std::size_t depth)
    {
        if (!enter(depth)) return false;
        out_ += '{';
        bool first = true;
        // getNames() follows insertion order when the object preserves it (ParseHandler(true)).
        for (const auto& name : o.getNames()) {
            if (!first) out_ += ',';
            first = false;
            JsonWriter::appendString(out_, name);
            out_ += ':';
            if (!write(o.get(name), depth + 1)) return false;
        }
        out_ += '}';
        return true;
    }

    template <typename It>
    bool array(It begin, It end, std::size_t depth)
    {
        if (!enter(depth)) return false;
        out_ += '[';
        for (It it = begin; it != end; ++it) {
            if (it != begin) out_ += ',';
            if (!write(*it, depth + 1)) return false;
        }
        out_ += ']';
        return true;
    }

    std::string& out_;
    std::vector<std::string>* attachments_;
    std::size_t maxDepth_;
};

bool findBinary(const Poco::Dynamic::Var& v, std::size_t depth, std::size_t maxDepth)
{
    using Poco::JSON::Array;
    using Poco::JSON::Object;
    if (depth > maxDepth || v.isEmpty()) return false;
    const std::type_info& t = v.type();
    if (t == typeid(Binary)) return true;
    auto inObject = [&](const Object& o) {
        for (const auto& [k, member] : o)
            if (findBinary(member, depth + 1, maxDepth)) return true;
        return false;
    };
    auto inRange = [&](auto begin, auto end) {
        for (auto it = begin; it != end; ++it)
            if (findBinary(*it, depth + 1, maxDepth)) return true;
        return false;
    };
    if (t == typeid(Object::Ptr)) {
        const auto& p = v.extract<Object::Ptr>();
        return !p.isNull() && inObject(*p);
    }
    if (t == typeid(Object)) return inObject(v.extract<Object>());
    if (t == typeid(Array::Ptr)) {
        const auto& p = v.extract<Array::Ptr>();
        return !p.isNull() && inRange(p->begin(), p->end());
    }
    if (t == typeid(Array)) {
        const auto& a = v.extract<Array>();
        return inRange(a.begin(), a.end());
    }
    if (t == typeid(std::vector<Poco::Dynamic::Var>)) {
        const auto& a = v.extract<std::vector<Poco::Dynamic::Var>>();
        return inRange(a.begin(), a.end());
    }
    return false;
}

} // namespace

void JsonWriter::appendString(std::string& out, std::string_view s)
{
    vtp::appendJsonString(out, s);
}

void JsonWriter::appendNumber(std::string& out, double value)
{
    if (!std::isfinite(value)) {
        out += "null";
        return;
    }
    if (value == 0) {
        out += '0'; // JSON.stringify(-0) is "0"
        return;
    }
    // JavaScript's Number::toString: shortest round-trip digits, plain notation for
    // 1e-6 <= |x| < 1e21, otherwise exponent form like "1e+21" / "1.5e-7".
    char buf[64];
    const double a = std::fabs(value);
    if (a >= 1e-6 && a < 1e21) {
        const auto r = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::fixed);
        out.append(buf, r.ptr);
        return;
    }
    const auto r = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
    std::string_view text(buf, static_cast<std::size_t>(r.ptr - buf));
    const auto e = text.find('e');
    out.append(text.substr(0, e + 2)); // mantissa, 'e' and sign
    auto exponent = text.substr(e + 2);
    while (exponent.size() > 1 && exponent.front() == '0') exponent.remove_prefix(1);
    out.append(exponent);
}

Result<std::size_t> JsonWriter::appendValue(std::string& out, const Poco::Dynamic::Var& value, std::vector<std::string>* attachments,
                                            std::size_t maxDepth)
{
    TreeWriter writer(out, attachments, maxDepth);
    try {
        if (!writer.write(value, 0)) return std::move(*writer.error);
    } catch (const Poco::Exception& e) {
        return ProtocolError(ProtocolErrc::BadArgument, "payload value cannot be written as JSON: " + e.displayText());
    }
    return writer.added;
}

bool JsonWriter::hasBinary(const Poco::Dynamic::Var& value, std::size_t maxDepth)
{
    return findBinary(value, 0, maxDepth);
}

} // namespace vtp::signalling::protocol
