#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vtp::kernel {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct FileBody;

struct HttpResponseData {
    int status = 200;
    std::string contentType;
    HeaderList headers;
    std::string body;
    bool closeConnection = false;
    uint64_t deferredId = 0; // the handler deferred (ABI 1.6): this is the answer should its timeout pass
    // Set: the body is this file (or the part of it FileBody says), sent with sendfile; `body` is unused.
    std::shared_ptr<FileBody> file;
};

// A request after its head has been read; the body comes separately.
struct IncomingRequest {
    std::string method;
    std::string target; // raw request target: path and query
    std::string remoteAddress;
    HeaderList headers; // names lower-cased
    std::optional<size_t> contentLength;
    bool chunked = false;
    std::string requestId; // set by the pipeline
    // Set by the pipeline: the path as logs may show it (the route's secret parameters masked),
    // and whether the client reached us over TLS (a trusted proxy's X-Forwarded-Proto: https).
    std::string logPath;
    bool secure = false;
    const std::string* header(std::string_view lowerName) const
    {
        for (const auto& [k, v] : headers)
            if (k == lowerName) return &v;
        return nullptr;
    }
};

// RFC 9457 problem details. `type` is a stable slug, published as "urn:vtp:problem:<type>".
HttpResponseData makeProblem(int status, std::string_view type, std::string_view title, std::string_view detail,
                             std::string_view instance = {});
std::string_view reasonPhrase(int status);

} // namespace vtp::kernel

// The opaque response handed to plugin handlers through the ABI.
namespace vtp::kernel {
class DeferredResponses;
}
struct vtp_response {
    vtp::kernel::HttpResponseData data;
    std::string instance; // the request id, for the `instance` of a problem the handler answers
    // Set by the pipeline around a handler call that may defer its answer (response_defer).
    vtp::kernel::DeferredResponses* deferrals = nullptr;
    bool answered = false; // a status, body or problem was set: the answer on timeout when deferred
};
