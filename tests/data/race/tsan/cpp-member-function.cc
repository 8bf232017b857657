#include <thread>
#include <cstdio>
struct Counter {
    long total = 0;
    void add(int times, long step) {
        for (int i = 0; i < times; i++)
            total += step;
    }
};
int main() {
    Counter c;
    std::thread a(&Counter::add, &c, 100000, 1L);
    std::thread b(&Counter::add, &c, 100000, 1L);
    a.join();
    b.join();
    std::printf("total=%ld\n", c.total);
}
