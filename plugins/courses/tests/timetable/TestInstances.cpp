#include "TestInstances.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace vtp::courses::timetable::test {

const char* const toyCtt = R"(Name: Toy
Courses: 4
Rooms: 2
Days: 2
Periods_per_day: 3
Curricula: 2
Constraints: 2

COURSES:
cA tX 2 2 30
cB tY 2 1 10
cC tX 1 1 50
cD tZ 1 1 5

ROOMS:
rSmall 20
rBig 40

CURRICULA:
q1 2 cA cB
q2 2 cB cD

UNAVAILABILITY_CONSTRAINTS:
cA 0 0
cD 1 2

END.
)";

std::string readItcInstance(const std::string& name)
{
    const std::string path = std::string(VTP_ITC2007_DIR) + "/" + name;
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("missing benchmark instance " + path +
                                 " (the shared data directory must sit "
                                 "beside the checkout, or set VTP_DATA_DIR)");
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

Instance makeInstance(int days, int periodsPerDay, std::vector<Course> courses, std::vector<Room> rooms, std::vector<Curriculum> curricula,
                      std::vector<Unavailability> unavailability)
{
    Instance instance;
    instance.name = "memory";
    instance.days = days;
    instance.periodsPerDay = periodsPerDay;
    instance.courses = std::move(courses);
    instance.rooms = std::move(rooms);
    instance.curricula = std::move(curricula);
    instance.unavailability = std::move(unavailability);
    return instance;
}

} // namespace vtp::courses::timetable::test
