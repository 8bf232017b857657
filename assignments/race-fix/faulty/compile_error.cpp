// Faulty: does not compile (a missing semicolon), so nothing runs.
#include <cstdio>
#include <thread>

long counter = 0

int main() {
    std::thread a([] { for (int i = 0; i < 1000000; i++) ++counter; });
    a.join();
    std::printf("total=%ld\n", counter);
}
