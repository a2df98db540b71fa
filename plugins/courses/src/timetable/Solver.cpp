#include "timetable/Solver.hpp"

#include "timetable/Annealer.hpp"
#include "timetable/InfeasibleError.hpp"

#include <condition_variable>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

namespace vtp::courses::timetable {

namespace {

// SplitMix64: well-spread per-thread seeds from one user seed.
uint64_t mixSeed(uint64_t seed, uint64_t index)
{
    uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (index + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

} // namespace

Solver::Solver(const Instance& instance) : instance_(instance)
{
    instance.validate();
    checkSatisfiable(instance);
}

void Solver::checkSatisfiable(const Instance& instance)
{
    instance.validate();
    const long periods = instance.periods();
    const long places = periods * static_cast<long>(instance.rooms.size());
    const long lectures = instance.lectureCount();
    if (lectures > places)
        throw InfeasibleError("room occupancy: " + std::to_string(lectures) + " lectures but only " +
                              std::to_string(instance.rooms.size()) + " rooms x " + std::to_string(periods) +
                              " periods = " + std::to_string(places) + " places");
    std::vector<std::set<int>> closed(instance.courses.size());
    for (const Unavailability& u : instance.unavailability)
        closed[static_cast<size_t>(u.course)].insert(u.day * instance.periodsPerDay + u.period);
    for (size_t c = 0; c < instance.courses.size(); ++c) {
        const Course& course = instance.courses[c];
        const long open = periods - static_cast<long>(closed[c].size());
        if (course.lectures > open)
            throw InfeasibleError("course '" + course.id + "': " + std::to_string(course.lectures) +
                                  " lectures, each in its own period, but it is available in only " + std::to_string(open) + " of " +
                                  std::to_string(periods) + " periods");
    }
    std::map<std::string, long> teacherLoad;
    for (const Course& course : instance.courses) teacherLoad[course.teacher] += course.lectures;
    for (const auto& [teacher, load] : teacherLoad) {
        if (load > periods)
            throw InfeasibleError("teacher '" + teacher + "': " + std::to_string(load) + " lectures but only " + std::to_string(periods) +
                                  " periods");
    }
    for (const Curriculum& curriculum : instance.curricula) {
        long load = 0;
        for (int c : curriculum.courses) load += instance.courses[static_cast<size_t>(c)].lectures;
        if (load > periods)
            throw InfeasibleError("curriculum '" + curriculum.id + "': its courses have " + std::to_string(load) +
                                  " lectures, which must all be in different periods, but there are only " + std::to_string(periods) +
                                  " periods");
    }
}

SolverResult Solver::solve(const SolverOptions& options) const
{
    if (options.timeLimitSeconds <= 0 && options.iterationLimit == 0)
        throw std::invalid_argument("solver needs a time limit or an iteration limit");
    const auto start = Annealer::Clock::now();
    const int threads = std::max(1, std::min(options.threads, 64));

    std::vector<AnnealerStatus> status(static_cast<size_t>(threads));
    SharedBest shared;
    std::vector<std::unique_ptr<Annealer>> annealers;
    for (int i = 0; i < threads; ++i)
        annealers.push_back(std::make_unique<Annealer>(instance_, options, mixSeed(options.seed, static_cast<uint64_t>(i)), start,
                                                       status[static_cast<size_t>(i)], threads > 1 ? &shared : nullptr));

    std::mutex mutex;
    std::condition_variable wake;
    int running = threads;
    std::vector<std::exception_ptr> errors(static_cast<size_t>(threads));
    std::vector<std::thread> workers;
    for (int i = 0; i < threads; ++i) {
        workers.emplace_back([&, i] {
            // An exception must not leave the thread: it is rethrown by solve() below.
            try {
                annealers[static_cast<size_t>(i)]->run();
            } catch (...) {
                errors[static_cast<size_t>(i)] = std::current_exception();
            }
            std::lock_guard lock(mutex);
            --running;
            wake.notify_all();
        });
    }

    auto report = [&] {
        if (!options.progress) return;
        int64_t best = INT64_MAX;
        for (const AnnealerStatus& s : status) best = std::min(best, s.best.load(std::memory_order_relaxed));
        if (best == INT64_MAX) return;
        SolverProgress progress;
        progress.elapsedSeconds = std::chrono::duration<double>(Annealer::Clock::now() - start).count();
        progress.bestHard = static_cast<int>(best >> 32);
        progress.bestSoft = static_cast<int>(best & 0xffffffff);
        progress.feasible = progress.bestHard == 0;
        options.progress(progress);
    };
    {
        std::unique_lock lock(mutex);
        while (!wake.wait_for(lock, std::chrono::milliseconds(250), [&] { return running == 0; })) {
            lock.unlock();
            report();
            lock.lock();
        }
    }
    for (std::thread& worker : workers) worker.join();
    for (const std::exception_ptr& error : errors) {
        if (error) std::rethrow_exception(error);
    }
    report();

    // Lowest (hard, soft) wins; ties go to the lower thread index, so the choice is deterministic.
    size_t winner = 0;
    for (size_t i = 1; i < annealers.size(); ++i) {
        const auto& a = annealers[i]->bestCosts();
        const auto& b = annealers[winner]->bestCosts();
        if (a.hard() < b.hard() || (a.hard() == b.hard() && a.soft() < b.soft())) winner = i;
    }
    SolverResult result;
    result.solution = annealers[winner]->bestSolution();
    result.evaluation = Evaluator(instance_).evaluate(result.solution);
    for (const auto& annealer : annealers) {
        result.iterations += annealer->iterations();
        result.cancelled = result.cancelled || annealer->cancelled();
    }
    result.elapsedSeconds = std::chrono::duration<double>(Annealer::Clock::now() - start).count();
    return result;
}

} // namespace vtp::courses::timetable
