// The courses plugin: terms, rooms, courses, sections and curricula; enrollment with waitlists;
// schedules, calendar feeds and class rooms for the signalling plugin; timetables solved as
// kernel jobs. Registration only; the work is in src/.
#include "src/CoursesService.hpp"

#include <vtp/sdk.hpp>

namespace {

using vtp::ConfigKey;

class CoursesPlugin : public vtp::Plugin {
public:
    static vtp::PluginInfo info()
    {
        return {
            .name = "courses",
            .version = "1.0.0",
            .description = "Courses, sections, enrollment with waitlists, schedules and calendar feeds, class rooms, timetabling",
            .dependencies = {"auth"},
            .config =
                {
                    ConfigKey::string(
                        "default_time_zone", "UTC",
                        "IANA time zone of a new term when it names none; class times are wall-clock times in the term's zone"),
                    ConfigKey::integer("rooms.early_join_minutes", 10,
                                       "A session's live room opens this many minutes before the class starts")
                        .range(0, 240),
                    ConfigKey::integer("rooms.grace_minutes", 15,
                                       "A session's live room admits people until this many minutes after the class ends")
                        .range(0, 240),
                    ConfigKey::string(
                        "calendar.base_url", "",
                        "Public origin put in front of calendar feed paths (e.g. https://vtp.example.edu); empty: paths only"),
                    ConfigKey::integer("calendar.past_days", 30, "Days of past sessions a calendar feed keeps").range(0, 3650),
                    ConfigKey::integer("calendar.future_days", 400, "Days of coming sessions a calendar feed shows").range(1, 3650),
                    ConfigKey::integer("timetable.default_time_limit_seconds", 30, "Solver time when a timetable request names none")
                        .range(1, 86400),
                    ConfigKey::integer("timetable.max_time_limit_seconds", 600, "Longest solver time a timetable request may ask for")
                        .range(1, 86400),
                    ConfigKey::integer("timetable.threads", 2, "Independent searches a timetable job runs at once (one core each)")
                        .range(1, 64),
                    ConfigKey::integer("roster.max_csv_bytes", 1048576, "Largest roster CSV accepted for import, in bytes")
                        .range(1024, 67108864),
                },
        };
    }

    void init(vtp::Host& host) override { service_ = std::make_unique<vtp::courses::CoursesService>(host); }
    void start() override { service_->start(); }
    void stop() override { service_->stop(); }

private:
    std::unique_ptr<vtp::courses::CoursesService> service_;
};

} // namespace

VTP_PLUGIN(CoursesPlugin)
