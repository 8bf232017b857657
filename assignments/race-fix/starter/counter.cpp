// race-fix (C++): two std::threads each add 1 to a shared counter ITERATIONS times.
//
// As given, the total is usually wrong: ++counter is a load, an add and a
// store, and the two threads interleave between them. Fix it with a std::mutex
// so that the program always prints  total=2000000
//
// Build:  g++ -O0 -Wall -pthread -o counter counter.cpp
#include <cstdio>
#include <thread>
#include <vector>

constexpr int THREADS = 2;
constexpr long ITERATIONS = 1000000;

static long counter = 0;

static void worker()
{
    for (long i = 0; i < ITERATIONS; i++)
        ++counter;                      // TODO: protect this with a std::mutex
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
