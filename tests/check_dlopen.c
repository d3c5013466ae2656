/*
 * The shared library loads at run time, as plugins, language bindings and
 * ctypes load it: dlopen, use it from the loading thread and from a second
 * thread (each gets its own thread state), dlclose, and do it all again.
 * Built without linking promc; run by `make test` with the library's path.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "promc.h"

struct api {
    promc_registry *(*registry_new)(void);
    int (*registry_free)(promc_registry *);
    promc_counter_vec *(*vec_new)(promc_registry *, const char *, const char *, const char *const *,
                                  const promc_metric_opts *);
    promc_counter *(*labels_n)(promc_counter_vec *, const char *const *, size_t);
    void (*inc)(promc_counter *);
    char *(*encode_buffer)(promc_registry *, promc_format, size_t *);
    void (*free)(void *);
    const char *(*last_error)(void);
    promc_counter_vec *vec;
};

static int load(void *h, struct api *a)
{
    void **slots[] = {(void **)&a->registry_new, (void **)&a->registry_free,
                      (void **)&a->vec_new,      (void **)&a->labels_n,
                      (void **)&a->inc,          (void **)&a->encode_buffer,
                      (void **)&a->free,         (void **)&a->last_error};
    const char *names[] = {"promc_registry_new",
                           "promc_registry_free",
                           "promc_counter_vec_new",
                           "promc_counter_vec_labels_n",
                           "promc_counter_inc",
                           "promc_encode_buffer",
                           "promc_free",
                           "promc_last_error"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!(*slots[i] = dlsym(h, names[i]))) {
            fprintf(stderr, "dlopen check: %s missing: %s\n", names[i], dlerror());
            return -1;
        }
    return 0;
}

static void *use_from_thread(void *arg)
{
    struct api *a = arg;
    const char *v[] = {"thread"};
    for (int i = 0; i < 1000; i++)
        a->inc(a->labels_n(a->vec, v, 1));
    return NULL;
}

static int round_trip(const char *path)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "dlopen check: %s\n", dlerror());
        return -1;
    }
    struct api a;
    if (load(h, &a) != 0)
        return -1;
    promc_registry *r = a.registry_new();
    a.vec = a.vec_new(r, "loaded", "Loaded at run time.", (const char *const[]){"k", NULL}, NULL);
    const char *v[] = {"main"};
    a.inc(a.labels_n(a.vec, v, 1));
    pthread_t t;
    if (pthread_create(&t, NULL, use_from_thread, &a) != 0 || pthread_join(t, NULL) != 0)
        return -1;
    char *out = a.encode_buffer(r, PROMC_FORMAT_TEXT, NULL);
    int ok = out && strstr(out, "loaded_total{k=\"main\"} 1\n") &&
             strstr(out, "loaded_total{k=\"thread\"} 1000\n");
    if (!ok)
        fprintf(stderr, "dlopen check: unexpected exposition: %s\n", out ? out : a.last_error());
    a.free(out);
    a.registry_free(r);
    if (dlclose(h) != 0) {
        fprintf(stderr, "dlopen check: dlclose: %s\n", dlerror());
        return -1;
    }
    return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: check_dlopen LIBRARY\n");
        return 2;
    }
    for (int i = 0; i < 2; i++)
        if (round_trip(argv[1]) != 0)
            return 1;
    printf("dlopen: loaded, used from two threads, unloaded, twice\n");
    return 0;
}
