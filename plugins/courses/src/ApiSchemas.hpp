#pragma once

// JSON Schemas of the courses plugin's answers, for the API description (GET /api/v1/openapi.json).
// They mirror termJson, roomJson, courseJson, curriculumJson, sectionJson, sessionJson,
// outcomeJson and timetableJson; the conformance test (integration.openapi_conformance) checks
// every answer the tests receive against them.

#include <string>

namespace vtp::courses::schemas {

inline std::string object(const std::string& properties, const std::string& required)
{
    return R"({"type":"object","required":[)" + required + R"(],"properties":{)" + properties + "}}";
}

// A page of listPage(): {"<items>": [...], "next_cursor": string|null}.
inline std::string page(const std::string& items, const std::string& item)
{
    return object("\"" + items + R"(":{"type":"array","items":)" + item + R"(},"next_cursor":{"type":["string","null"]})",
                  "\"" + items + R"(","next_cursor")");
}

inline const std::string kString = R"({"type":"string"})";
inline const std::string kOptionalString = R"({"type":["string","null"]})";
inline const std::string kInteger = R"({"type":"integer"})";

inline std::string term()
{
    return object(
        R"("id":{"type":"string"},"name":{"type":"string"},"start_date":{"type":"string","format":"date"},)"
        R"("end_date":{"type":"string","format":"date"},"time_zone":{"type":"string"},)"
        R"("holidays":{"type":"array","items":{"type":"string","format":"date"}},)"
        R"("teaching_days":{"type":"array","items":{"type":"integer","minimum":1,"maximum":7}},)"
        R"("periods":{"type":"array","items":{"type":"object","required":["start","end"],"properties":{"start":{"type":"string"},"end":{"type":"string"}}}},)"
        R"("created_at":{"type":"integer"})",
        R"("id","name","start_date","end_date","time_zone","holidays","teaching_days","periods","created_at")");
}

inline std::string room()
{
    return object(R"("id":{"type":"string"},"name":{"type":"string"},"kind":{"enum":["virtual","physical"]},"capacity":{"type":"integer"},)"
                  R"("features":{"type":"array","items":{"type":"string"}},"created_at":{"type":"integer"})",
                  R"("id","name","kind","capacity","features","created_at")");
}

inline const char* kCourseProperties =
    R"("id":{"type":"string"},"term_id":{"type":"string"},"code":{"type":"string"},"title":{"type":"string"},)"
    R"("description":{"type":"string"},"credits":{"type":"integer"},"department":{"type":"string"},)"
    R"("lectures_per_week":{"type":"integer"},"min_working_days":{"type":"integer"},"created_at":{"type":"integer"})";
inline const char* kCourseRequired =
    R"("id","term_id","code","title","description","credits","department","lectures_per_week","min_working_days","created_at")";

inline std::string course()
{
    return object(kCourseProperties, kCourseRequired);
}

// GET /courses/{id} adds the periods the timetabler avoids.
inline std::string courseWithUnavailability()
{
    return object(
        std::string(kCourseProperties) +
            R"(,"unavailability":{"type":"array","items":{"type":"object","required":["day","period"],"properties":{"day":{"type":"integer"},"period":{"type":"integer"}}}})",
        std::string(kCourseRequired) + R"(,"unavailability")");
}

inline std::string curriculum()
{
    return object(R"("id":{"type":"string"},"term_id":{"type":"string"},"name":{"type":"string"},)"
                  R"("course_ids":{"type":"array","items":{"type":"string"}},"created_at":{"type":"integer"})",
                  R"("id","term_id","name","course_ids","created_at")");
}

inline std::string section()
{
    return object(R"("id":{"type":"string"},"course_id":{"type":"string"},"term_id":{"type":"string"},"course_code":{"type":"string"},)"
                  R"("name":{"type":"string"},"capacity":{"type":"integer"},"waitlist_capacity":{"type":"integer"},)"
                  R"("enrolled":{"type":"integer"},"waitlisted":{"type":"integer"},)"
                  R"("enrollment_opens":{"type":["string","null"]},"enrollment_closes":{"type":["string","null"]},)"
                  R"("drop_deadline":{"type":["string","null"]},"instructors":{"type":"array","items":{"type":"string"}},)"
                  R"("assistants":{"type":"array","items":{"type":"string"}},"created_at":{"type":"integer"})",
                  R"("id","course_id","term_id","name","capacity","waitlist_capacity","enrolled","waitlisted",)"
                  R"("enrollment_opens","enrollment_closes","drop_deadline","instructors","assistants","created_at")");
}

inline std::string session()
{
    return object(R"("id":{"type":"string"},"section_id":{"type":"string"},"course_code":{"type":"string"},)"
                  R"("course_title":{"type":"string"},"section_name":{"type":"string"},"date":{"type":"string","format":"date"},)"
                  R"("start_time":{"type":"string"},"end_time":{"type":"string"},"time_zone":{"type":"string"},)"
                  R"("starts_at":{"type":"integer"},"ends_at":{"type":"integer"},"room_id":{"type":["string","null"]},)"
                  R"("room_name":{"type":["string","null"]},"status":{"type":"string"},"note":{"type":["string","null"]},)"
                  R"("recorded":{"type":"boolean"},"live_room":{"type":"string"})",
                  R"("id","section_id","date","start_time","end_time","time_zone","starts_at","ends_at","room_id","status","recorded",)"
                  R"("live_room")");
}

// An enrollment's outcome (outcomeJson): enrolled, or waitlisted at a position.
inline std::string outcome()
{
    return object(R"("section_id":{"type":"string"},"user_id":{"type":"string"},"status":{"enum":["enrolled","waitlisted"]},)"
                  R"("position":{"type":["integer","null"]},"seq":{"type":"integer"})",
                  R"("section_id","user_id","status","position","seq")");
}

inline std::string meetings()
{
    return object(
        R"("meetings":{"type":"array","items":{"type":"object","required":["id","weekday","start_time","end_time","room_id","recorded"],)"
        R"("properties":{"id":{"type":"string"},"weekday":{"type":"integer","minimum":1,"maximum":7},"start_time":{"type":"string"},)"
        R"("end_time":{"type":"string"},"room_id":{"type":["string","null"]},"room_name":{"type":["string","null"]},)"
        R"("recorded":{"type":"boolean"}}}})",
        R"("meetings")");
}

inline std::string timetable()
{
    return object(R"("id":{"type":"string"},"term_id":{"type":"string"},"job_id":{"type":["string","null"]},"state":{"type":"string"},)"
                  R"("hard_violations":{"type":["integer","null"]},"soft_cost":{"type":["integer","null"]},"cost_detail":{},)"
                  R"("time_limit_seconds":{"type":"integer"},"seed":{"type":"integer"},"created_by":{"type":"string"},)"
                  R"("created_at":{"type":"integer"},"accepted_at":{"type":["integer","null"]},"assignments":{"type":"array"},)"
                  R"("sections_updated":{"type":"integer"})",
                  R"("id","term_id","job_id","state","time_limit_seconds","seed","created_by","created_at","accepted_at")");
}

inline std::string calendarToken()
{
    return object(R"("token":{"type":"string"},"path":{"type":"string"},"url":{"type":"string"})", R"("token","path","url")");
}

inline std::string anyObject()
{
    return R"({"type":"object"})";
}

} // namespace vtp::courses::schemas
