/* LD_PRELOAD shim that moves the wall clock by $SHIFT_SECONDS, for running dnssec-verify
 * (which has no option to judge at another time) inside a zone's signature window.
 * libfaketime cannot be used: BIND's allocator calls clock_gettime while libfaketime is
 * still initialising. Built by benchmarks/realworld_table.py with `cc -shared -fPIC`. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static long shift(void) {
    const char *text = getenv("SHIFT_SECONDS");
    return text ? atol(text) : 0;
}

int clock_gettime(clockid_t clock, struct timespec *now) {
    long status = syscall(SYS_clock_gettime, clock, now);
    if (status == 0 && (clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE))
        now->tv_sec += shift();
    return (int)status;
}

int gettimeofday(struct timeval *now, void *zone) {
    struct timespec precise;
    int status = clock_gettime(CLOCK_REALTIME, &precise);
    (void)zone;
    if (status == 0 && now) {
        now->tv_sec = precise.tv_sec;
        now->tv_usec = precise.tv_nsec / 1000;
    }
    return status;
}

time_t time(time_t *now) {
    struct timespec precise;
    clock_gettime(CLOCK_REALTIME, &precise);
    if (now)
        *now = precise.tv_sec;
    return precise.tv_sec;
}
