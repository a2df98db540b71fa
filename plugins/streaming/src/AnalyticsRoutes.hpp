#pragma once

// The QoE reports' REST API: GET /api/v1/recordings/{id}/qoe, /api/v1/streams/{id}/qoe and
// /api/v1/streaming/courses/{id}/qoe (the courses plugin owns /api/v1/courses/...). Each answers
// a summary of every session in the date range (stored and still in memory) and a page of those
// sessions, oldest first (?limit, ?cursor, ?from, ?to).
//
// Who may read a subject's report: admins, whoever made the recording or stream, and the
// instructors of its section (asked of the courses plugin's sections service). Someone who may
// watch it but not read its report gets 403; anyone else 404, as if it did not exist. A course's
// report: instructors (the role) see the sessions of the sections they teach and of what they
// made; admins see all.

#include "Analytics.hpp"
#include "StreamAccess.hpp"

#include <vtp/sdk.hpp>

namespace vtp::streaming {

class AnalyticsRoutes {
public:
    // Registers the routes (in init).
    AnalyticsRoutes(Host& host, Analytics& analytics);
    void start();

    static constexpr int64_t kDefaultLimit = 50, kMaxLimit = 200;
    static constexpr size_t kMaxCourseSections = 500;

private:
    struct Scope;
    Response recording(const Request& req);
    Response stream(const Request& req);
    Response course(const Request& req);
    Response report(const Request& req, const Scope& scope);

    Host& host_;
    Analytics& analytics_;
    StreamAccess access_;
};

} // namespace vtp::streaming
