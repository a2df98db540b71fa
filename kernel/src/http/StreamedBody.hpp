#pragma once

#include "http/HttpPipeline.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

namespace vtp::kernel {

// One streamed request body (a VTP_ROUTE_BODY_STREAM route) between its head and its answer:
// the plugin's body_begin, body_data for each piece, then its handler or body_abort, exactly
// one of the two. Owns the request and the C view of it the plugin holds meanwhile. Not
// thread-safe: one worker at a time drives it (the connection's turn).
class StreamedBody {
public:
    // Calls body_begin. Accepted: a StreamedBody to feed; refused: `answer` is set.
    static std::unique_ptr<StreamedBody> begin(HttpPipeline& pipeline, IncomingRequest request, PreparedRequest prepared,
                                               std::optional<HttpResponseData>& answer);
    ~StreamedBody(); // body_abort(SHUTDOWN) if neither the handler nor body_abort was called

    // False: the plugin takes no more (its handler answers next).
    bool data(std::string_view piece);
    // Calls the handler; the stream is the plugin's from then on.
    HttpResponseData finish();
    void abort(uint32_t reason);

    const IncomingRequest& request() const { return request_; }
    const PreparedRequest& prepared() const { return prepared_; }
    uint64_t bytes() const { return bytes_; }

private:
    StreamedBody(HttpPipeline& pipeline, IncomingRequest request, PreparedRequest prepared);

    HttpPipeline& pipeline_;
    IncomingRequest request_;
    PreparedRequest prepared_;
    std::unique_ptr<RequestView> view_;
    const vtp_route* route_ = nullptr;
    void* stream_ = nullptr;
    uint64_t bytes_ = 0;
    bool ended_ = false;
};

} // namespace vtp::kernel
