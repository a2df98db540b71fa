// Fuzzes what a client sends to a file response: the Range header, entity-tag lists and HTTP
// dates (http/Conditionals), and their evaluation against a real file (http/FileResponse).
//
// Input: "name: value" lines, the request's headers; a first line "HEAD" makes it a HEAD request.
// Each value is also fed to the parsers alone, with invariants checked on what they return.
#include "http/Conditionals.hpp"
#include "http/FileResponse.hpp"
#include "http/HttpTypes.hpp"
#include "vtp/abi.h"

#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <string>

using namespace vtp::kernel;

namespace {

constexpr uint64_t kFileSize = 1000;

const std::string& filePath()
{
    static const std::string path = [] {
        char name[] = "/tmp/vtp-conditional-fuzz-XXXXXX";
        const int fd = ::mkstemp(name);
        if (fd < 0) std::abort();
        const std::string bytes(kFileSize, 'x');
        if (::write(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) std::abort();
        ::close(fd);
        return std::string(name);
    }();
    return path;
}

void checkParsers(std::string_view value)
{
    for (const uint64_t size : {uint64_t{0}, uint64_t{1}, uint64_t{10}, kFileSize, UINT64_MAX}) {
        ByteRange r;
        if (parseRange(value, size, r) == RangeVerdict::Single && (r.first > r.last || r.last >= size)) std::abort();
    }
    if (const auto d = parseHttpDate(value)) {
        // What was read writes back as an IMF-fixdate that reads the same (years 0..9999).
        const std::string text = formatHttpDate(*d);
        if (*d >= -62135596800 && *d <= 253402300799 && parseHttpDate(text) != d) std::abort();
    }
    (void)etagListMatches(value, "\"abc\"", true);
    (void)etagListMatches(value, "W/\"abc\"", false);
    (void)etagListMatches("\"abc\", W/\"def\"", value, false);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    IncomingRequest req;
    req.method = "GET";
    req.requestId = "fuzz";
    size_t pos = 0;
    bool first = true;
    while (pos <= input.size()) {
        const size_t nl = input.find('\n', pos);
        const std::string_view line = input.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        if (first && line == "HEAD") req.method = "HEAD";
        first = false;
        if (const size_t colon = line.find(':'); colon != std::string_view::npos && req.headers.size() < 16) {
            std::string name(line.substr(0, colon));
            for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            std::string_view value = line.substr(colon + 1);
            checkParsers(value);
            req.headers.emplace_back(std::move(name), std::string(value));
        }
        if (nl == std::string_view::npos) break;
        pos = nl + 1;
    }
    checkParsers(input);

    HttpResponseData r;
    std::string error;
    if (openFileBody(filePath().c_str(), 0, VTP_FILE_TO_END, r.file, error) != VTP_OK) std::abort();
    applyFileConditionals(req, r, 2000000000);
    switch (r.status) {
    case 200:
    case 206:
        if (!r.file || r.file->sendOffset + r.file->sendLength > kFileSize || r.file->sendLength == 0) std::abort();
        if (r.status == 200 && r.file->sendLength != kFileSize) std::abort();
        break;
    case 304:
    case 412:
    case 416:
        if (r.file) std::abort();
        break;
    default: std::abort();
    }
    return 0;
}
