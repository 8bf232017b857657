// race-fix reference (C++): one std::mutex guards ++counter.
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

constexpr int THREADS = 2;
constexpr long ITERATIONS = 1000000;

static long counter = 0;
static std::mutex counter_lock;

static void worker()
{
    for (long i = 0; i < ITERATIONS; i++) {
        std::lock_guard<std::mutex> guard(counter_lock);
        ++counter;
    }
}

int main()
{
    std::vector<std::thread> threads;
    for (int i = 0; i < THREADS; i++)
        threads.emplace_back(worker);
    for (auto &t : threads)
        t.join();
    std::printf("total=%ld\n", counter);
    return 0;
}
