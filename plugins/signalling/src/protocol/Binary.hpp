#pragma once

// A binary attachment inside a payload tree (Poco::Dynamic::Var). Socket.IO sends binary values
// as separate Engine.IO messages, referenced from the JSON by {"_placeholder":true,"num":N}; in
// a reconstructed tree they appear as Binary values, and the encoder turns them back into
// placeholders. The bytes are shared: Var copies its content, and a buffer should not be copied
// with it.

#include <Poco/Dynamic/Var.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace vtp::signalling::protocol {

class Binary {
public:
    Binary() : bytes_(std::make_shared<const std::string>()) {}
    explicit Binary(std::string bytes) : bytes_(std::make_shared<const std::string>(std::move(bytes))) {}
    explicit Binary(std::shared_ptr<const std::string> bytes) : bytes_(std::move(bytes)) {}

    std::string_view bytes() const noexcept { return *bytes_; }
    std::size_t size() const noexcept { return bytes_->size(); }
    const std::shared_ptr<const std::string>& shared() const noexcept { return bytes_; }

    bool operator==(const Binary& other) const noexcept { return bytes() == other.bytes(); }

    // The Binary a Var holds (a copy: cheap, the bytes are shared), or nullopt when it holds
    // something else. A copy because Poco hands out members by value (Object::get).
    static std::optional<Binary> from(const Poco::Dynamic::Var& value)
    {
        if (value.type() != typeid(Binary)) return std::nullopt;
        return value.extract<Binary>();
    }

private:
    std::shared_ptr<const std::string> bytes_; // never null
};

} // namespace vtp::signalling::protocol
