#include "PasswordHasher.hpp"

#include "CryptoUtil.hpp"

#include <argon2.h>

#include <charconv>
#include <stdexcept>
#include <vector>

namespace vtp::auth {

namespace {
constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;
} // namespace

// Holds one of the maxConcurrent hashing slots for its lifetime.
class PasswordHasher::Slot {
public:
    explicit Slot(PasswordHasher& h) : h_(h)
    {
        std::unique_lock lock(h_.mutex_);
        if (h_.running_ >= h_.maxConcurrent_) {
            if (h_.waiting_ >= h_.maxWaiting_) throw HasherBusy();
            ++h_.waiting_;
            h_.cv_.wait(lock, [&] { return h_.running_ < h_.maxConcurrent_; });
            --h_.waiting_;
        }
        ++h_.running_;
    }
    ~Slot()
    {
        {
            std::lock_guard lock(h_.mutex_);
            --h_.running_;
        }
        h_.cv_.notify_one();
    }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;

private:
    PasswordHasher& h_;
};

PasswordHasher::PasswordHasher(Argon2Params params, unsigned maxConcurrent, unsigned maxWaiting)
    : params_(params), maxConcurrent_(maxConcurrent ? maxConcurrent : 1), maxWaiting_(maxWaiting)
{
    // The dummy hash uses the real parameters so that its verification costs the same.
    const auto salt = randomBytes(kSaltBytes);
    const std::string pw = randomToken(16);
    std::vector<char> out(argon2_encodedlen(params_.iterations, params_.memoryKib, params_.parallelism, kSaltBytes, kHashBytes, Argon2_id) +
                          1);
    if (argon2id_hash_encoded(params_.iterations, params_.memoryKib, params_.parallelism, pw.data(), pw.size(), salt.data(), salt.size(),
                              kHashBytes, out.data(), out.size()) != ARGON2_OK)
        throw std::runtime_error("argon2 parameters are not usable");
    dummy_ = out.data();
}

std::string PasswordHasher::hash(std::string_view password)
{
    Slot slot(*this);
    const auto salt = randomBytes(kSaltBytes);
    std::vector<char> out(argon2_encodedlen(params_.iterations, params_.memoryKib, params_.parallelism, kSaltBytes, kHashBytes, Argon2_id) +
                          1);
    const int rc = argon2id_hash_encoded(params_.iterations, params_.memoryKib, params_.parallelism, password.data(), password.size(),
                                         salt.data(), salt.size(), kHashBytes, out.data(), out.size());
    if (rc != ARGON2_OK) throw std::runtime_error(std::string("argon2: ") + argon2_error_message(rc));
    return out.data();
}

bool PasswordHasher::verify(std::string_view encoded, std::string_view password)
{
    if (encoded.rfind("$argon2id$", 0) != 0) return false;
    Slot slot(*this);
    const std::string enc(encoded);
    return argon2id_verify(enc.c_str(), password.data(), password.size()) == ARGON2_OK;
}

void PasswordHasher::verifyDummy(std::string_view password)
{
    (void)verify(dummy_, password);
}

bool PasswordHasher::needsRehash(std::string_view encoded) const
{
    // $argon2id$v=19$m=19456,t=2,p=1$...
    if (encoded.rfind("$argon2id$v=19$", 0) != 0) return true;
    const auto params = encoded.substr(15, encoded.find('$', 15) - 15);
    uint32_t m = 0, t = 0, p = 0;
    for (size_t pos = 0; pos < params.size();) {
        const size_t comma = params.find(',', pos);
        const auto item = params.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
        if (item.size() > 2 && item[1] == '=') {
            uint32_t v = 0;
            std::from_chars(item.data() + 2, item.data() + item.size(), v);
            if (item[0] == 'm')
                m = v;
            else if (item[0] == 't')
                t = v;
            else if (item[0] == 'p')
                p = v;
        }
        if (comma == std::string_view::npos) break;
        pos = comma + 1;
    }
    return m < params_.memoryKib || t < params_.iterations || p < params_.parallelism;
}

} // namespace vtp::auth
