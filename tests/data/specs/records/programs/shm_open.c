/* POSIX shared memory: shm_open + ftruncate + mmap(MAP_SHARED, PROT_WRITE); the child writes, the parent reads. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    int fd = shm_open("/demo_shm", O_CREAT | O_RDWR, 0600);
    if (fd < 0 || ftruncate(fd, 4096) != 0) return 1;
    char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) return 1;
    close(fd);
    pid_t pid = fork();
    if (pid == 0) {
        strcpy(p, "hello from child");
        return 0;
    }
    waitpid(pid, NULL, 0);
    printf("parent read: %s\n", p);
    munmap(p, 4096);
    shm_unlink("/demo_shm");
    return 0;
}
