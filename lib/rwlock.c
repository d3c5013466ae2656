/*
 * Read-write locks that do not starve writers. glibc's default rwlock lets
 * new readers in while a writer waits, so back-to-back scrapes (readers)
 * could hold off a registration or a new child (writers) indefinitely. On
 * glibc we ask for writer preference; elsewhere the platform default stands.
 * The price, documented in docs/THREADS.md: a thread must not take the same
 * read lock twice; children.c and gather.c make sure no callback can.
 */
#define _GNU_SOURCE /* pthread_rwlockattr_setkind_np */
#include <pthread.h>

#include "internal.h"

void promc__rwlock_init(pthread_rwlock_t *lock)
{
#if defined(__GLIBC__) && defined(__USE_GNU)
    pthread_rwlockattr_t attr;
    if (pthread_rwlockattr_init(&attr) == 0) {
        pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
        int rc = pthread_rwlock_init(lock, &attr);
        pthread_rwlockattr_destroy(&attr);
        if (rc == 0)
            return;
    }
#endif
    pthread_rwlock_init(lock, NULL);
}
