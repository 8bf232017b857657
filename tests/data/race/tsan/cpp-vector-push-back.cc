#include <thread>
#include <vector>
#include <cstdio>
static std::vector<int> seen;
static void collect(int from) {
    for (int i = 0; i < 1000; i++)
        seen.push_back(from + i);
}
int main() {
    std::thread a(collect, 0);
    std::thread b(collect, 1000);
    a.join();
    b.join();
    std::printf("%zu\n", seen.size());
}
