#include "http/StreamedBody.hpp"

#include "log/Logger.hpp"

namespace vtp::kernel {

StreamedBody::StreamedBody(HttpPipeline& pipeline, IncomingRequest request, PreparedRequest prepared)
    : pipeline_(pipeline), request_(std::move(request)), prepared_(std::move(prepared))
{
    view_ = std::make_unique<RequestView>(request_, prepared_, std::string_view());
    route_ = static_cast<const vtp_route*>(prepared_.route->target);
}

std::unique_ptr<StreamedBody> StreamedBody::begin(HttpPipeline& pipeline, IncomingRequest request, PreparedRequest prepared,
                                                  std::optional<HttpResponseData>& answer)
{
    std::unique_ptr<StreamedBody> s(new StreamedBody(pipeline, std::move(request), std::move(prepared)));
    vtp_response response;
    response.instance = s->request_.requestId;
    int rc = VTP_ERROR;
    void* stream = nullptr;
    try {
        rc = s->route_->body_begin(s->route_->user_data, &s->view_->c, &response, &stream);
    } catch (...) {
        rc = VTP_ERROR; // a plugin that bypassed the SDK let an exception escape
    }
    if (rc == VTP_OK && stream) {
        s->stream_ = stream;
        return s;
    }
    if (rc == VTP_OK && response.data.status < 400) {
        // Neither a stream nor a refusal: nothing to answer with but an error.
        pipeline.log().error("http", "body_begin took no stream and set no refusal",
                             {{"request_id", s->request_.requestId}, {"route", s->prepared_.route->pattern}});
        rc = VTP_ERROR;
    }
    answer = pipeline.checkedResponse(s->request_, s->prepared_, rc, response);
    s->ended_ = true;
    return nullptr;
}

StreamedBody::~StreamedBody()
{
    if (!ended_) abort(VTP_BODY_ABORT_SHUTDOWN);
}

bool StreamedBody::data(std::string_view piece)
{
    bytes_ += piece.size();
    try {
        return route_->body_data(route_->user_data, stream_, piece.data(), piece.size()) == VTP_OK;
    } catch (...) {
        return false;
    }
}

HttpResponseData StreamedBody::finish()
{
    ended_ = true;
    view_->c.body_stream = stream_;
    view_->c.body_bytes = bytes_;
    return pipeline_.callHandler(request_, prepared_, view_->c, false); // the upload path answers at once
}

void StreamedBody::abort(uint32_t reason)
{
    if (ended_) return;
    ended_ = true;
    try {
        route_->body_abort(route_->user_data, stream_, reason);
    } catch (...) {
    }
}

} // namespace vtp::kernel
