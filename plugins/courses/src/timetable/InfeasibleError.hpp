#pragma once

#include <stdexcept>
#include <string>

namespace vtp::courses::timetable {

// An instance that no timetable can satisfy, found before solving; what() names the constraint
// and the course, teacher or curriculum, and the numbers that do not fit.
class InfeasibleError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

} // namespace vtp::courses::timetable
