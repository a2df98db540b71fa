#include "timetable/SearchState.hpp"

#include <algorithm>
#include <stdexcept>
#include <unordered_map>

namespace vtp::courses::timetable {

SearchState::SearchState(const Instance& instance) : instance_(instance)
{
    instance.validate();
    periods_ = instance.periods();
    rooms_ = static_cast<int>(instance.rooms.size());
    days_ = instance.days;
    periodsPerDay_ = instance.periodsPerDay;
    lectureCourse_ = instance.lectureCourses();
    const size_t courseCount = instance.courses.size();

    std::unordered_map<std::string, int> teachers;
    for (const Course& course : instance.courses) {
        courseTeacher_.push_back(teachers.emplace(course.teacher, static_cast<int>(teachers.size())).first->second);
        courseStudents_.push_back(course.students);
        courseMinDays_.push_back(course.minWorkingDays);
    }
    teachers_ = static_cast<int>(teachers.size());
    curricula_ = static_cast<int>(instance.curricula.size());
    std::vector<std::vector<int>> byCourse(courseCount);
    for (size_t q = 0; q < instance.curricula.size(); ++q) {
        for (int c : instance.curricula[q].courses) byCourse[static_cast<size_t>(c)].push_back(static_cast<int>(q));
    }
    courseCurriculaStart_.push_back(0);
    for (const auto& list : byCourse) {
        courseCurricula_.insert(courseCurricula_.end(), list.begin(), list.end());
        courseCurriculaStart_.push_back(static_cast<int>(courseCurricula_.size()));
    }
    for (const Room& room : instance.rooms) roomCapacity_.push_back(room.capacity);
    unavailable_.assign(courseCount * static_cast<size_t>(periods_), 0);
    for (const Unavailability& u : instance.unavailability)
        unavailable_[static_cast<size_t>(u.course * periods_ + u.day * periodsPerDay_ + u.period)] = 1;

    // A table of clashing course pairs (up to 2 MB) spares the Kempe chains a walk of two lists.
    if (courseCount <= 4096) {
        const size_t bits = courseCount * courseCount;
        clashBits_.assign((bits + 63) / 64, 0);
        for (size_t a = 0; a < courseCount; ++a) {
            for (size_t b = 0; b < courseCount; ++b) {
                const size_t bit = a * courseCount + b;
                if (clashSlow(static_cast<int>(a), static_cast<int>(b))) clashBits_[bit >> 6] |= uint64_t{1} << (bit & 63);
            }
        }
    }
    period_.assign(lectureCourse_.size(), -1);
    room_.assign(lectureCourse_.size(), -1);
    slot_.assign(static_cast<size_t>(periods_) * static_cast<size_t>(rooms_), -1);
    teacherCount_.assign(static_cast<size_t>(teachers_) * static_cast<size_t>(periods_), 0);
    curriculumCount_.assign(static_cast<size_t>(curricula_) * static_cast<size_t>(periods_), 0);
    for (int p = 0; p < periods_; ++p) {
        periodDay_.push_back(p / periodsPerDay_);
        periodSlot_.push_back(p % periodsPerDay_);
    }
    dayMasks_ = periodsPerDay_ <= 64;
    if (dayMasks_) {
        busy_.assign(static_cast<size_t>(curricula_) * static_cast<size_t>(days_), 0);
        crowded_.assign(busy_.size(), 0);
    }
    courseDayCount_.assign(courseCount * static_cast<size_t>(days_), 0);
    courseDays_.assign(courseCount, 0);
    courseRoomCount_.assign(courseCount * static_cast<size_t>(rooms_), 0);
    courseRooms_.assign(courseCount, 0);
    costs_ = Costs{};
    costs_.unscheduled = lectures();
    // As the validator does, a course without lectures still misses its minimum working days.
    for (size_t c = 0; c < courseCount; ++c) costs_.minWorkingDays += 5 * courseMinDays_[c];
}

int SearchState::conflictsAt(int course, int period) const
{
    int n = teacherCount_[static_cast<size_t>(courseTeacher_[static_cast<size_t>(course)] * periods_ + period)];
    const auto c = static_cast<size_t>(course);
    for (int i = courseCurriculaStart_[c]; i < courseCurriculaStart_[c + 1]; ++i)
        n += curriculumLoad(courseCurricula_[static_cast<size_t>(i)], period);
    return n;
}

bool SearchState::clashSlow(int courseA, int courseB) const
{
    const auto a = static_cast<size_t>(courseA);
    const auto b = static_cast<size_t>(courseB);
    if (a == b || courseTeacher_[a] == courseTeacher_[b]) return true;
    int i = courseCurriculaStart_[a];
    int j = courseCurriculaStart_[b];
    while (i < courseCurriculaStart_[a + 1] && j < courseCurriculaStart_[b + 1]) {
        const int x = courseCurricula_[static_cast<size_t>(i)];
        const int y = courseCurricula_[static_cast<size_t>(j)];
        if (x == y) return true;
        if (x < y)
            ++i;
        else
            ++j;
    }
    return false;
}

int SearchState::hardOf(int lecture) const
{
    const int p = period_[static_cast<size_t>(lecture)];
    if (p < 0) return 1;
    const auto c = static_cast<size_t>(lectureCourse_[static_cast<size_t>(lecture)]);
    // Counts include the lecture itself once per teacher and curriculum.
    int n = teacherCount_[static_cast<size_t>(courseTeacher_[c] * periods_ + p)] - 1;
    for (int i = courseCurriculaStart_[c]; i < courseCurriculaStart_[c + 1]; ++i)
        n += curriculumLoad(courseCurricula_[static_cast<size_t>(i)], p) - 1;
    return n + unavailable_[c * static_cast<size_t>(periods_) + static_cast<size_t>(p)];
}

int SearchState::compactnessDelta(int q, int p, int direction, int lowered) const
{
    auto load = [&](int period) { return curriculumLoad(q, period) - (period == lowered ? 1 : 0); };
    const int slot = slotOf(p);
    const bool hasBefore = slot > 0;
    const bool hasAfter = slot < periodsPerDay_ - 1;
    const int before = hasBefore ? load(p - 1) : 0;
    const int after = hasAfter ? load(p + 1) : 0;
    const bool isolated = before == 0 && after == 0;
    const int here = load(p);
    if (direction > 0) {
        if (here > 0) return isolated ? 1 : 0;
        // p becomes busy: its neighbours that were isolated are no longer.
        int delta = isolated ? 1 : 0;
        if (before > 0 && (slot < 2 || load(p - 2) == 0)) delta -= before;
        if (after > 0 && (slot > periodsPerDay_ - 3 || load(p + 2) == 0)) delta -= after;
        return delta;
    }
    if (here > 1) return isolated ? -1 : 0;
    // p becomes free: its busy neighbours may become isolated.
    int delta = isolated ? -1 : 0;
    if (before > 0 && (slot < 2 || load(p - 2) == 0)) delta += before;
    if (after > 0 && (slot > periodsPerDay_ - 3 || load(p + 2) == 0)) delta += after;
    return delta;
}

namespace {

// Busy periods of a day mask with no busy neighbour.
uint64_t isolated(uint64_t mask)
{
    return mask & ~(mask << 1) & ~(mask >> 1);
}

// std::popcount compiles to a library call on baseline x86-64; this stays inline.
int bitCount(uint64_t x)
{
    x -= (x >> 1) & 0x5555555555555555ULL;
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
    return static_cast<int>((x * 0x0101010101010101ULL) >> 56);
}

} // namespace

void SearchState::markLoad(int q, int period, int load)
{
    const size_t i = static_cast<size_t>(q) * static_cast<size_t>(days_) + static_cast<size_t>(dayOf(period));
    const uint64_t bit = uint64_t{1} << (slotOf(period));
    busy_[i] = load > 0 ? busy_[i] | bit : busy_[i] & ~bit;
    crowded_[i] = load > 1 ? crowded_[i] | bit : crowded_[i] & ~bit;
}

int SearchState::compactnessMoveDelta(int q, int from, int to) const
{
    if (dayMasks_) {
        const size_t row = static_cast<size_t>(q) * static_cast<size_t>(days_);
        const size_t fromDay = row + static_cast<size_t>(dayOf(from));
        const size_t toDay = row + static_cast<size_t>(dayOf(to));
        // While no period of either day has two lectures of the curriculum, isolated lectures are
        // isolated bits; the lecture leaves `from` empty and may make `to` the one crowded period.
        if ((crowded_[fromDay] | crowded_[toDay]) == 0) {
            const uint64_t fromBit = uint64_t{1} << (slotOf(from));
            const uint64_t toBit = uint64_t{1} << (slotOf(to));
            const bool joins = curriculumLoad(q, to) > 0;
            if (fromDay == toDay) {
                const uint64_t before = busy_[fromDay];
                const uint64_t after = (before ^ fromBit) | toBit;
                const uint64_t lonely = isolated(after);
                return bitCount(lonely) + (joins && (lonely & toBit) != 0 ? 1 : 0) - bitCount(isolated(before));
            }
            const uint64_t fromBefore = busy_[fromDay];
            const uint64_t toBefore = busy_[toDay];
            const uint64_t lonely = isolated(toBefore | toBit);
            return bitCount(isolated(fromBefore ^ fromBit)) - bitCount(isolated(fromBefore)) + bitCount(lonely) +
                   (joins && (lonely & toBit) != 0 ? 1 : 0) - bitCount(isolated(toBefore));
        }
    }
    return compactnessDelta(q, from, -1) + compactnessDelta(q, to, +1, from);
}

int SearchState::insertCompactness(int q, int period) const
{
    if (dayMasks_) {
        const size_t day = static_cast<size_t>(q) * static_cast<size_t>(days_) + static_cast<size_t>(dayOf(period));
        // In a feasible timetable no period is crowded: the day's isolated bits are the answer.
        if (crowded_[day] == 0 && curriculumLoad(q, period) == 0) {
            const uint64_t busy = busy_[day];
            return bitCount(isolated(busy | uint64_t{1} << slotOf(period))) - bitCount(isolated(busy));
        }
    }
    return compactnessDelta(q, period, +1);
}

int SearchState::removeCompactness(int q, int period) const
{
    if (dayMasks_) {
        const size_t day = static_cast<size_t>(q) * static_cast<size_t>(days_) + static_cast<size_t>(dayOf(period));
        if (crowded_[day] == 0) {
            const uint64_t busy = busy_[day];
            return bitCount(isolated(busy & ~(uint64_t{1} << slotOf(period)))) - bitCount(isolated(busy));
        }
    }
    return compactnessDelta(q, period, -1);
}

int SearchState::periodHard(int course, int partner, int from, int to) const
{
    const auto c = static_cast<size_t>(course);
    const int teacher = courseTeacher_[c];
    int hard = 0;
    if (partner < 0 || courseTeacher_[static_cast<size_t>(partner)] != teacher) {
        const size_t row = static_cast<size_t>(teacher) * static_cast<size_t>(periods_);
        hard += teacherCount_[row + static_cast<size_t>(to)] - teacherCount_[row + static_cast<size_t>(from)] + 1;
    }
    int j = partner < 0 ? 0 : courseCurriculaStart_[static_cast<size_t>(partner)];
    const int jEnd = partner < 0 ? 0 : courseCurriculaStart_[static_cast<size_t>(partner) + 1];
    for (int i = courseCurriculaStart_[c]; i < courseCurriculaStart_[c + 1]; ++i) {
        const int q = courseCurricula_[static_cast<size_t>(i)];
        while (j < jEnd && courseCurricula_[static_cast<size_t>(j)] < q) ++j;
        if (j < jEnd && courseCurricula_[static_cast<size_t>(j)] == q) continue;
        hard += curriculumLoad(q, to) - curriculumLoad(q, from) + 1;
    }
    return hard + unavailable_[c * static_cast<size_t>(periods_) + static_cast<size_t>(to)] -
           unavailable_[c * static_cast<size_t>(periods_) + static_cast<size_t>(from)];
}

int SearchState::moveHardDelta(int lecture, int period, int room) const
{
    const auto l = static_cast<size_t>(lecture);
    const int fromPeriod = period_[l];
    if (period == fromPeriod) return 0; // rooms are never shared, so a room change breaks nothing
    const int other = lectureAt(period, room);
    const int course = lectureCourse_[l];
    const int partner = other >= 0 ? lectureCourse_[static_cast<size_t>(other)] : -1;
    int hard = periodHard(course, partner, fromPeriod, period);
    if (partner >= 0) hard += periodHard(partner, course, period, fromPeriod);
    return hard;
}

void SearchState::periodChange(int course, int partner, int from, int to, Delta& delta) const
{
    const auto c = static_cast<size_t>(course);
    const int teacher = courseTeacher_[c];
    if (partner < 0 || courseTeacher_[static_cast<size_t>(partner)] != teacher) {
        const size_t row = static_cast<size_t>(teacher) * static_cast<size_t>(periods_);
        delta.hard += teacherCount_[row + static_cast<size_t>(to)] - teacherCount_[row + static_cast<size_t>(from)] + 1;
    }
    // Both curriculum lists are sorted: walk the partner's alongside to skip the shared ones.
    int j = partner < 0 ? 0 : courseCurriculaStart_[static_cast<size_t>(partner)];
    const int jEnd = partner < 0 ? 0 : courseCurriculaStart_[static_cast<size_t>(partner) + 1];
    for (int i = courseCurriculaStart_[c]; i < courseCurriculaStart_[c + 1]; ++i) {
        const int q = courseCurricula_[static_cast<size_t>(i)];
        while (j < jEnd && courseCurricula_[static_cast<size_t>(j)] < q) ++j;
        if (j < jEnd && courseCurricula_[static_cast<size_t>(j)] == q) continue;
        delta.hard += curriculumLoad(q, to) - curriculumLoad(q, from) + 1;
        delta.soft += 2 * compactnessMoveDelta(q, from, to);
    }
    delta.hard += unavailable_[c * static_cast<size_t>(periods_) + static_cast<size_t>(to)] -
                  unavailable_[c * static_cast<size_t>(periods_) + static_cast<size_t>(from)];
    const int fromDay = dayOf(from);
    const int toDay = dayOf(to);
    if (fromDay != toDay) {
        const size_t row = c * static_cast<size_t>(days_);
        const int days = courseDays_[c];
        const int after = days - (courseDayCount_[row + static_cast<size_t>(fromDay)] == 1 ? 1 : 0) +
                          (courseDayCount_[row + static_cast<size_t>(toDay)] == 0 ? 1 : 0);
        delta.soft += 5 * (std::max(0, courseMinDays_[c] - after) - std::max(0, courseMinDays_[c] - days));
    }
}

void SearchState::roomChange(int course, int from, int to, Delta& delta) const
{
    const auto c = static_cast<size_t>(course);
    const int students = courseStudents_[c];
    delta.soft +=
        std::max(0, students - roomCapacity_[static_cast<size_t>(to)]) - std::max(0, students - roomCapacity_[static_cast<size_t>(from)]);
    const size_t row = c * static_cast<size_t>(rooms_);
    const int rooms = courseRooms_[c];
    const int after = rooms - (courseRoomCount_[row + static_cast<size_t>(from)] == 1 ? 1 : 0) +
                      (courseRoomCount_[row + static_cast<size_t>(to)] == 0 ? 1 : 0);
    delta.soft += std::max(0, after - 1) - std::max(0, rooms - 1);
}

SearchState::Delta SearchState::moveDelta(int lecture, int period, int room) const
{
    const auto l = static_cast<size_t>(lecture);
    const int fromPeriod = period_[l];
    const int fromRoom = room_[l];
    const int other = lectureAt(period, room);
    const int course = lectureCourse_[l];
    const int partner = other >= 0 ? lectureCourse_[static_cast<size_t>(other)] : -1;
    // The two lectures belong to different courses, so their days, rooms and the curricula they do
    // not share change independently.
    Delta delta;
    if (period != fromPeriod) {
        periodChange(course, partner, fromPeriod, period, delta);
        if (partner >= 0) periodChange(partner, course, period, fromPeriod, delta);
    }
    if (room != fromRoom) {
        roomChange(course, fromRoom, room, delta);
        if (partner >= 0) roomChange(partner, room, fromRoom, delta);
    }
    return delta;
}

void SearchState::move(int lecture, int period, int room)
{
    const int other = lectureAt(period, room);
    const int fromPeriod = periodOf(lecture);
    const int fromRoom = roomOf(lecture);
    remove(lecture);
    if (other >= 0) {
        remove(other);
        insert(other, fromPeriod, fromRoom);
    }
    insert(lecture, period, room);
}

void SearchState::insert(int lecture, int period, int room)
{
    const auto l = static_cast<size_t>(lecture);
    const int c = lectureCourse_[l];
    const auto cs = static_cast<size_t>(c);
    period_[l] = period;
    room_[l] = room;
    slot_[static_cast<size_t>(period * rooms_ + room)] = lecture;
    --costs_.unscheduled;

    costs_.conflicts += teacherCount_[static_cast<size_t>(courseTeacher_[cs] * periods_ + period)]++;
    for (int i = courseCurriculaStart_[cs]; i < courseCurriculaStart_[cs + 1]; ++i) {
        const int q = courseCurricula_[static_cast<size_t>(i)];
        costs_.curriculumCompactness += 2 * insertCompactness(q, period);
        const int load = curriculumCount_[static_cast<size_t>(q * periods_ + period)]++;
        costs_.conflicts += load;
        if (dayMasks_ && load < 2) markLoad(q, period, load + 1);
    }
    costs_.unavailable += unavailable_[static_cast<size_t>(c * periods_ + period)];
    costs_.roomCapacity += std::max(0, courseStudents_[cs] - roomCapacity_[static_cast<size_t>(room)]);
    const int day = dayOf(period);
    if (courseDayCount_[static_cast<size_t>(c * days_ + day)]++ == 0) {
        // Each new day covers one missing day while the course is below its minimum.
        if (courseDays_[cs]++ < courseMinDays_[cs]) costs_.minWorkingDays -= 5;
    }
    if (courseRoomCount_[static_cast<size_t>(c * rooms_ + room)]++ == 0) {
        if (courseRooms_[cs]++ > 0) costs_.roomStability += 1;
    }
}

void SearchState::remove(int lecture)
{
    const auto l = static_cast<size_t>(lecture);
    const int c = lectureCourse_[l];
    const auto cs = static_cast<size_t>(c);
    const int period = period_[l];
    const int room = room_[l];
    period_[l] = -1;
    room_[l] = -1;
    slot_[static_cast<size_t>(period * rooms_ + room)] = -1;
    ++costs_.unscheduled;

    costs_.conflicts -= --teacherCount_[static_cast<size_t>(courseTeacher_[cs] * periods_ + period)];
    for (int i = courseCurriculaStart_[cs]; i < courseCurriculaStart_[cs + 1]; ++i) {
        const int q = courseCurricula_[static_cast<size_t>(i)];
        costs_.curriculumCompactness += 2 * removeCompactness(q, period);
        const int load = --curriculumCount_[static_cast<size_t>(q * periods_ + period)];
        costs_.conflicts -= load;
        if (dayMasks_ && load < 2) markLoad(q, period, load);
    }
    costs_.unavailable -= unavailable_[static_cast<size_t>(c * periods_ + period)];
    costs_.roomCapacity -= std::max(0, courseStudents_[cs] - roomCapacity_[static_cast<size_t>(room)]);
    const int day = dayOf(period);
    if (--courseDayCount_[static_cast<size_t>(c * days_ + day)] == 0) {
        if (--courseDays_[cs] < courseMinDays_[cs]) costs_.minWorkingDays += 5;
    }
    if (--courseRoomCount_[static_cast<size_t>(c * rooms_ + room)] == 0) {
        if (--courseRooms_[cs] > 0) costs_.roomStability -= 1;
    }
}

void SearchState::load(const Solution& solution)
{
    checkFits(instance_, solution);
    for (int l = 0; l < lectures(); ++l) {
        if (period_[static_cast<size_t>(l)] >= 0) remove(l);
    }
    for (int l = 0; l < lectures(); ++l) {
        const Assignment& a = solution.lectures[static_cast<size_t>(l)];
        if (!a.scheduled()) continue;
        const int p = a.day * periodsPerDay_ + a.period;
        if (lectureAt(p, a.room) < 0) insert(l, p, a.room);
    }
}

void SearchState::restore(const std::vector<int>& periods, const std::vector<int>& rooms)
{
    for (int l = 0; l < lectures(); ++l) {
        if (period_[static_cast<size_t>(l)] >= 0) remove(l);
    }
    for (int l = 0; l < lectures(); ++l) {
        if (periods[static_cast<size_t>(l)] >= 0) insert(l, periods[static_cast<size_t>(l)], rooms[static_cast<size_t>(l)]);
    }
}

Solution SearchState::toSolution() const
{
    Solution solution;
    solution.lectures.resize(lectureCourse_.size());
    for (size_t l = 0; l < lectureCourse_.size(); ++l) {
        if (period_[l] < 0) continue;
        solution.lectures[l] = Assignment{period_[l] / periodsPerDay_, period_[l] % periodsPerDay_, room_[l]};
    }
    return solution;
}

SearchState::Costs SearchState::recomputeForTest() const
{
    Costs costs;
    const size_t courseCount = courseTeacher_.size();
    std::vector<int> teacherAt(static_cast<size_t>(teachers_) * static_cast<size_t>(periods_), 0);
    std::vector<int> curriculumAt(static_cast<size_t>(curricula_) * static_cast<size_t>(periods_), 0);
    std::vector<std::vector<char>> days(courseCount, std::vector<char>(static_cast<size_t>(days_), 0));
    std::vector<std::vector<char>> rooms(courseCount, std::vector<char>(static_cast<size_t>(rooms_), 0));
    for (size_t l = 0; l < lectureCourse_.size(); ++l) {
        const int p = period_[l];
        if (p < 0) {
            ++costs.unscheduled;
            continue;
        }
        const auto c = static_cast<size_t>(lectureCourse_[l]);
        ++teacherAt[static_cast<size_t>(courseTeacher_[c] * periods_ + p)];
        for (int i = courseCurriculaStart_[c]; i < courseCurriculaStart_[c + 1]; ++i)
            ++curriculumAt[static_cast<size_t>(courseCurricula_[static_cast<size_t>(i)] * periods_ + p)];
        costs.unavailable += unavailable_[c * static_cast<size_t>(periods_) + static_cast<size_t>(p)];
        costs.roomCapacity += std::max(0, courseStudents_[c] - roomCapacity_[static_cast<size_t>(room_[l])]);
        days[c][static_cast<size_t>(p / periodsPerDay_)] = 1;
        rooms[c][static_cast<size_t>(room_[l])] = 1;
    }
    for (int n : teacherAt) costs.conflicts += n * (n - 1) / 2;
    for (int n : curriculumAt) costs.conflicts += n * (n - 1) / 2;
    for (size_t c = 0; c < courseCount; ++c) {
        const int used = static_cast<int>(std::count(days[c].begin(), days[c].end(), 1));
        costs.minWorkingDays += 5 * std::max(0, courseMinDays_[c] - used);
        const int roomsUsed = static_cast<int>(std::count(rooms[c].begin(), rooms[c].end(), 1));
        costs.roomStability += std::max(0, roomsUsed - 1);
    }
    for (int q = 0; q < curricula_; ++q) {
        for (int p = 0; p < periods_; ++p) {
            const int n = curriculumAt[static_cast<size_t>(q * periods_ + p)];
            if (n == 0) continue;
            const int s = p % periodsPerDay_;
            const bool before = s > 0 && curriculumAt[static_cast<size_t>(q * periods_ + p - 1)] > 0;
            const bool after = s < periodsPerDay_ - 1 && curriculumAt[static_cast<size_t>(q * periods_ + p + 1)] > 0;
            if (!before && !after) costs.curriculumCompactness += 2 * n;
        }
    }
    return costs;
}

} // namespace vtp::courses::timetable
