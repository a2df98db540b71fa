#pragma once

// A small JSON value type for plugin code, on Poco::JSON (the SDK's one dependency).

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include "vtp/errors.hpp"

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vtp {

class JsonError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class Json {
public:
    Json() = default; // null
    Json(std::nullptr_t) {}
    Json(bool v) : v_(v) {}
    Json(int v) : v_(static_cast<Poco::Int64>(v)) {}
    Json(long v) : v_(static_cast<Poco::Int64>(v)) {}
    Json(long long v) : v_(static_cast<Poco::Int64>(v)) {}
    Json(unsigned v) : v_(static_cast<Poco::Int64>(v)) {}
    Json(unsigned long v) : v_(static_cast<Poco::Int64>(v)) {}
    Json(double v) : v_(v) {}
    Json(const char* v) : v_(std::string(v)) {}
    Json(std::string v) : v_(std::move(v)) {}
    Json(std::string_view v) : v_(std::string(v)) {}
    // An object from {{"key", value}, ...}.
    Json(std::initializer_list<std::pair<const std::string, Json>> members) : v_(Poco::JSON::Object::Ptr(new Poco::JSON::Object(true)))
    {
        for (const auto& [k, v] : members) set(k, v);
    }

    static Json object()
    {
        Json j;
        j.v_ = Poco::JSON::Object::Ptr(new Poco::JSON::Object(true));
        return j;
    }
    static Json array()
    {
        Json j;
        j.v_ = Poco::JSON::Array::Ptr(new Poco::JSON::Array());
        return j;
    }
    template <typename T>
    static Json arrayOf(const std::vector<T>& items)
    {
        Json a = array();
        for (const auto& item : items) a.push(Json(item));
        return a;
    }

    // Throws JsonError with the parser's message (which says where it broke).
    static Json parse(std::string_view text)
    {
        try {
            Poco::JSON::Parser parser;
            Json j;
            j.v_ = parser.parse(std::string(text));
            return j;
        } catch (const Poco::Exception& e) {
            throw JsonError(e.displayText());
        }
    }

    bool isNull() const { return v_.isEmpty(); }
    bool isObject() const { return v_.type() == typeid(Poco::JSON::Object::Ptr); }
    bool isArray() const { return v_.type() == typeid(Poco::JSON::Array::Ptr); }
    bool isString() const { return v_.isString(); }
    bool isBool() const { return v_.isBoolean(); }
    // An integer that fits int64_t. Poco holds 2^63 to 2^64 - 1 as UInt64: a number, but not
    // an integer here, so asInt() never throws after isInteger() said yes.
    bool isInteger() const
    {
        if (!v_.isInteger()) return false;
        if (v_.type() == typeid(Poco::UInt64))
            return v_.extract<Poco::UInt64>() <= static_cast<Poco::UInt64>(std::numeric_limits<int64_t>::max());
        return true;
    }
    bool isNumber() const { return v_.isNumeric(); }

    bool has(const std::string& key) const { return isObject() && obj()->has(key); }
    // A missing key or a non-object gives null.
    Json operator[](const std::string& key) const
    {
        Json j;
        if (isObject() && obj()->has(key)) j.v_ = obj()->get(key);
        return j;
    }
    Json operator[](const char* key) const { return (*this)[std::string(key)]; }
    Json at(size_t index) const
    {
        Json j;
        if (isArray() && index < arr()->size()) j.v_ = arr()->get(static_cast<unsigned>(index));
        return j;
    }
    size_t size() const
    {
        if (isArray()) return arr()->size();
        if (isObject()) return obj()->size();
        return 0;
    }
    std::vector<std::string> keys() const
    {
        std::vector<std::string> out;
        if (isObject())
            for (const auto& [k, v] : *obj()) out.push_back(k);
        return out;
    }

    Json& set(const std::string& key, const Json& value)
    {
        if (isNull()) *this = object();
        if (!isObject()) throw JsonError("set() on a JSON value that is not an object");
        obj()->set(key, value.v_);
        return *this;
    }
    Json& push(const Json& value)
    {
        if (isNull()) *this = array();
        if (!isArray()) throw JsonError("push() on a JSON value that is not an array");
        arr()->add(value.v_);
        return *this;
    }

    std::string asString() const { return convert<std::string>("string"); }
    int64_t asInt() const
    {
        if (!isInteger()) throw JsonError("expected an integer from -2^63 to 2^63 - 1");
        return convert<Poco::Int64>("integer");
    }
    double asDouble() const
    {
        if (!isNumber()) throw JsonError("expected a number");
        return convert<double>("number");
    }
    bool asBool() const
    {
        if (!isBool()) throw JsonError("expected a boolean");
        return convert<bool>("boolean");
    }

    std::string stringOr(const std::string& key, std::string fallback) const
    {
        Json v = (*this)[key];
        return v.isString() ? v.asString() : fallback;
    }
    int64_t intOr(const std::string& key, int64_t fallback) const
    {
        Json v = (*this)[key];
        return v.isInteger() ? v.asInt() : fallback;
    }
    bool boolOr(const std::string& key, bool fallback) const
    {
        Json v = (*this)[key];
        return v.isBool() ? v.asBool() : fallback;
    }

    // Request-body fields: the member `key` of this object as an integer within [lo, hi], or a
    // 422 problem (Unprocessable) that names the field and the range. A number out of range,
    // a fraction, a string, null or a missing member are all refused the same way, so every
    // integer a client sends is range-checked here and nowhere else. `problemType` is the
    // problem's slug.
    int64_t intField(const std::string& key, int64_t lo, int64_t hi, const std::string& problemType = "invalid-field") const
    {
        const Json v = (*this)[key];
        if (!v.isInteger() || v.asInt() < lo || v.asInt() > hi)
            throw Unprocessable("'" + key + "' must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi), problemType);
        return v.asInt();
    }
    // The same for an optional member: nothing when it is missing or null.
    std::optional<int64_t> optionalIntField(const std::string& key, int64_t lo, int64_t hi,
                                            const std::string& problemType = "invalid-field") const
    {
        if (!has(key) || (*this)[key].isNull()) return std::nullopt;
        return intField(key, lo, hi, problemType);
    }
    // An array element as an integer within [lo, hi]; `what` names the array in the problem.
    int64_t intAt(size_t index, const std::string& what, int64_t lo, int64_t hi, const std::string& problemType = "invalid-field") const
    {
        const Json v = at(index);
        if (!v.isInteger() || v.asInt() < lo || v.asInt() > hi)
            throw Unprocessable("'" + what + "' must hold integers from " + std::to_string(lo) + " to " + std::to_string(hi), problemType);
        return v.asInt();
    }

    std::string dump() const
    {
        if (isNull()) return "null";
        std::ostringstream out;
        Poco::JSON::Stringifier::condense(v_, out);
        return out.str();
    }

    const Poco::Dynamic::Var& var() const { return v_; }

private:
    Poco::JSON::Object::Ptr obj() const { return v_.extract<Poco::JSON::Object::Ptr>(); }
    Poco::JSON::Array::Ptr arr() const { return v_.extract<Poco::JSON::Array::Ptr>(); }
    template <typename T>
    T convert(const char* what) const
    {
        if (isNull() || isObject() || isArray()) throw JsonError(std::string("expected a ") + what);
        try {
            return v_.convert<T>();
        } catch (const Poco::Exception&) {
            throw JsonError(std::string("expected a ") + what);
        }
    }

    Poco::Dynamic::Var v_;
};

} // namespace vtp
