/*
 * ipchaos_race.h: force-included (-include) into code compiled for
 * `--detect races` (ipchaos_race_instrument() in CMake does it). The compiler's
 * -fsanitize=thread instruments loads, stores and atomics; libtsan would also
 * intercept library calls, and ipchaos links no libtsan, so the few calls
 * that copy shared memory or order processes are routed here instead:
 * memcpy, memmove, memset (their bytes are checked) and the semaphore calls
 * (a post happens before the wait it ends). Never include it by hand.
 */
#ifndef IPCHAOS_RACE_H
#define IPCHAOS_RACE_H

#include <semaphore.h>
#include <string.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

void *__tsan_memcpy(void *dst, const void *src, size_t n);
void *__tsan_memmove(void *dst, const void *src, size_t n);
void *__tsan_memset(void *dst, int c, size_t n);
int ic_race_shim_sem_post(sem_t *sem);
int ic_race_shim_sem_wait(sem_t *sem);
int ic_race_shim_sem_trywait(sem_t *sem);
int ic_race_shim_sem_timedwait(sem_t *sem, const struct timespec *abs_timeout);

#ifdef __cplusplus
}
#endif

/* After the declarations above: the headers' own prototypes are already seen. */
#define memcpy(d, s, n) __tsan_memcpy((d), (s), (n))
#define memmove(d, s, n) __tsan_memmove((d), (s), (n))
#define memset(d, c, n) __tsan_memset((d), (c), (n))
#define sem_post(s) ic_race_shim_sem_post(s)
#define sem_wait(s) ic_race_shim_sem_wait(s)
#define sem_trywait(s) ic_race_shim_sem_trywait(s)
#define sem_timedwait(s, t) ic_race_shim_sem_timedwait((s), (t))

#endif
