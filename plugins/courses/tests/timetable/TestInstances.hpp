#pragma once

#include "timetable/Instance.hpp"

#include <string>

namespace vtp::courses::timetable::test {

// A small hand-written instance (in .ctt text) whose costs the tests compute by hand.
extern const char* const toyCtt;

// The text of an ITC-2007 instance from VTP_DATA_DIR; fails the test (throws) if it is missing.
std::string readItcInstance(const std::string& name);

// An instance built in memory, as the plugin builds one from its tables.
Instance makeInstance(int days, int periodsPerDay, std::vector<Course> courses, std::vector<Room> rooms,
                      std::vector<Curriculum> curricula = {}, std::vector<Unavailability> unavailability = {});

} // namespace vtp::courses::timetable::test
