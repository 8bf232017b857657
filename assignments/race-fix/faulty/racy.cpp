// Faulty: the C++ starter unchanged. ++counter races between the two threads.
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
