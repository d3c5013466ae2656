/*
 * Per-thread state outside static TLS (thread_state.h): allocated through the
 * library's allocator on a thread's first need, found again through one
 * thread-local pointer, and freed by a pthread key destructor when the thread
 * exits. When the shared library is unloaded (dlclose), the key is deleted
 * first, so no thread's exit calls into unloaded code.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "alloc.h"
#include "grace.h"
#include "thread_state.h"

_Thread_local struct promc__thread_state *promc__tls_state PROMC__TLS;

static pthread_key_t key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static atomic_bool key_made; /* read by any thread, cleared at exit */

static void state_free(void *p)
{
    promc__tls_state = NULL;
    if (p)
        promc__grace_unregister(p);
    promc__free(p);
}

static void make_key(void)
{
    atomic_store(&key_made, pthread_key_create(&key, state_free) == 0);
}

struct promc__thread_state *promc__thread_state_new(void)
{
    pthread_once(&key_once, make_key);
    if (!atomic_load(&key_made))
        return NULL;
    struct promc__thread_state *s = promc__calloc(1, sizeof *s);
    if (!s)
        return NULL;
    if (pthread_setspecific(key, s) != 0) {
        promc__free(s);
        return NULL;
    }
    promc__grace_register(s);
    promc__tls_state = s;
    return s;
}

/* At exit or dlclose: the calling thread's state is freed (key destructors
 * do not run for a thread that calls exit), and the key deleted. The states
 * of threads still running stay allocated -- their destructor must not run
 * into code that is gone. */
__attribute__((destructor)) static void delete_key(void)
{
    if (!atomic_exchange(&key_made, false))
        return;
    state_free(promc__tls_state);
    pthread_key_delete(key);
}
