/*
 * The HTTP server against hostile clients: request smuggling, header
 * floods, pipelining floods, thousands of idle connections, slowloris, and
 * slow readers beside normal scrapes. Each case checks that the server
 * survives, that the process's descriptors (/proc/self/fd) and resident
 * memory (VmRSS) stay within the bounds it states, and that a normal scrape
 * during or right after the attack gets the whole exposition.
 *
 * The scrapes' time bound, BOUND_MS, is one a server blocked by the attack
 * could never meet, and a loaded machine under ThreadSanitizer always does:
 * the attack goes on until the scrape is done, and the timeouts that would
 * end it (ATTACK_TIMEOUT_S) are three times longer. The baseline scrape of
 * the same run is printed beside it.
 */
#include "promc_http.h"

#include "helpers.h"
#include "raw_http.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#define BOUND_MS         10000
#define ATTACK_TIMEOUT_S 30

/* Resident memory is checked without sanitizers only: AddressSanitizer's
 * quarantine keeps freed memory, and ThreadSanitizer's allocator and shadow
 * memory add many times what the program itself holds (a thousand idle
 * connections take some 8 MB here, over 100 MB there). The sizes are still
 * printed. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define RSS_CHECKED 0
#elif defined(__clang__) && defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define RSS_CHECKED 0
#endif
#endif
#ifndef RSS_CHECKED
#define RSS_CHECKED 1
#endif

/* ------------------------------------------------------------------ */
/* The server, normal scrapes, and the resources being watched         */
/* ------------------------------------------------------------------ */

static promc_registry *registry;
static promc_gauge *up;

static void registry_new(void)
{
    registry = promc_registry_new();
    up = promc_gauge_new(registry, "hostile_up", "Serving.", NULL);
    assert_true(registry && up);
    promc_gauge_set(up, 1);
}

static void registry_free(void)
{
    promc_gauge_free(up);
    promc_registry_free(registry);
}

/* A server of the test registry whose timeouts are ATTACK_TIMEOUT_S unless
 * o sets them. */
static promc_http_server *serve(promc_http_opts o)
{
    if (!o.read_timeout)
        o.read_timeout = ATTACK_TIMEOUT_S;
    if (!o.idle_timeout)
        o.idle_timeout = ATTACK_TIMEOUT_S;
    if (!o.write_timeout)
        o.write_timeout = ATTACK_TIMEOUT_S;
    promc_http_server *s = promc_http_server_new(registry, "127.0.0.1:0", &o);
    if (!s)
        fail_msg("promc_http_server_new: %s", promc_last_error());
    return s;
}

/* A normal scrape on a new connection: the whole exposition, within
 * BOUND_MS. Returns how long it took. */
static int64_t normal_scrape(int port)
{
    int64_t t0 = mono_ms();
    client c = cli_open(port);
    cli_send_str(&c, GET("/metrics"));
    response r;
    if (!cli_response(&c, &r, false, BOUND_MS)) {
        if (r.cut_status)
            fail_msg("scrape cut short: %zu of %ld bytes", r.cut_body_len, r.content_length);
        fail_msg("no scrape within %d ms", BOUND_MS);
    }
    int64_t took = mono_ms() - t0;
    assert_int_equal(r.status, 200);
    assert_int_equal(r.content_length, (long)r.body_len);
    assert_non_null(strstr(r.body, "\nhostile_up 1\n"));
    resp_free(&r);
    cli_close(&c);
    return took;
}

/* Resident memory of the process in KB. */
static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    assert_non_null(f);
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    assert_true(kb > 0);
    return kb;
}

/* Descriptors and resident memory during one attack, against its bounds. */
typedef struct watch {
    const char *attack;
    int fds, max_fds;        /* before the attack, and the most seen */
    long rss, max_rss;       /* KB */
    int fd_bound;            /* descriptors it may add */
    long rss_bound;          /* KB it may add */
    int64_t baseline, worst; /* ms of the scrape before, and the slowest during */
} watch;

static void watch_sample(watch *w)
{
    int fds = count_fds();
    long rss = rss_kb();
    w->max_fds = fds > w->max_fds ? fds : w->max_fds;
    w->max_rss = rss > w->max_rss ? rss : w->max_rss;
    if (fds - w->fds > w->fd_bound)
        fail_msg("%s: %d descriptors, %d before and at most %d more allowed", w->attack, fds,
                 w->fds, w->fd_bound);
    if (RSS_CHECKED && rss - w->rss > w->rss_bound)
        fail_msg("%s: resident memory grew by %ld KB, at most %ld allowed", w->attack, rss - w->rss,
                 w->rss_bound);
}

/* Starts watching: a baseline scrape first, so that what it allocates once
 * is in the baseline. */
static watch watch_start(const char *attack, int port, int fd_bound, long rss_bound_kb)
{
    watch w = {.attack = attack, .fd_bound = fd_bound, .rss_bound = rss_bound_kb};
    w.baseline = normal_scrape(port);
    w.fds = w.max_fds = count_fds();
    w.rss = w.max_rss = rss_kb();
    return w;
}

/* A normal scrape while the attack goes on, and a sample. */
static void watch_scrape(watch *w, int port)
{
    int64_t took = normal_scrape(port);
    w->worst = took > w->worst ? took : w->worst;
    watch_sample(w);
}

/* After the attack's clients closed: the server closes its side too, so
 * the descriptors come back to what they were. */
static void watch_end(watch *w, int port)
{
    watch_scrape(w, port);
    int64_t deadline = mono_ms() + WAIT_MS;
    while (count_fds() > w->fds && mono_ms() < deadline)
        sleep_ms(10);
    if (count_fds() > w->fds)
        fail_msg("%s: %d descriptors left, %d before", w->attack, count_fds(), w->fds);
    print_message("  %s: scrapes %lld ms (baseline %lld ms); at most %d more descriptors "
                  "(bound %d), %ld KB more resident (bound %ld KB%s)\n",
                  w->attack, (long long)w->worst, (long long)w->baseline, w->max_fds - w->fds,
                  w->fd_bound, w->max_rss - w->rss, w->rss_bound,
                  RSS_CHECKED ? "" : ", not checked here");
}

/* ------------------------------------------------------------------ */
/* Request smuggling                                                   */
/* ------------------------------------------------------------------ */

#define RAW(s)       s, sizeof(s) - 1
#define POST         "POST /nope HTTP/1.1\r\n" HOST_HDR
#define CHUNKED_POST POST "Transfer-Encoding: chunked\r\n\r\n"

/* Each request is framed one way only: refused (400, then closed), or
 * answered as the framing the server uses says, so a request hidden in a
 * body is never answered. */
static const struct smuggling {
    const char *what;
    const char *raw;
    size_t len;
    int status[2]; /* the responses in order; 0: no more */
    bool closes;   /* then the connection closes; else it stays open */
} smuggling[] = {
    {"Content-Length and Transfer-Encoding",
     RAW(POST
         "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nX" GET("/-/healthy")),
     {400},
     true},
    {"Transfer-Encoding and Content-Length",
     RAW(POST
         "Transfer-Encoding: chunked\r\nContent-Length: 6\r\n\r\n0\r\n\r\nX" GET("/-/healthy")),
     {400},
     true},
    {"two Content-Lengths",
     RAW(POST "Content-Length: 5\r\nContent-Length: 39\r\n\r\nhello" GET("/-/healthy")),
     {400},
     true},
    {"a Content-Length list", RAW(POST "Content-Length: 5, 5\r\n\r\nhello"), {400}, true},
    {"a signed Content-Length", RAW(POST "Content-Length: +5\r\n\r\nhello"), {400}, true},
    {"an overflowing Content-Length",
     RAW(POST "Content-Length: 18446744073709551621\r\n\r\nhello"),
     {400},
     true},
    {"obs-fold", RAW("GET /nope HTTP/1.1\r\n" HOST_HDR "X-A: a\r\n b\r\n\r\n"), {400}, true},
    {"obs-fold hiding Transfer-Encoding",
     RAW(POST "X-A: a\r\n Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello"),
     {400},
     true},
    {"whitespace before the first field",
     RAW("POST /nope HTTP/1.1\r\n Transfer-Encoding: chunked\r\n" HOST_HDR "\r\n0\r\n\r\n"),
     {400},
     true},
    {"a space before a colon", RAW(POST "Content-Length : 5\r\n\r\nhello"), {400}, true},
    {"a tab before a colon",
     RAW(POST "Transfer-Encoding\t: chunked\r\n\r\n0\r\n\r\n"),
     {400},
     true},
    {"a space inside a field name", RAW(POST "Transfer Encoding: chunked\r\n\r\n"), {400}, true},
    {"a NUL in a field value",
     RAW("GET /nope HTTP/1.1\r\n" HOST_HDR "X-A: a\0b\r\n\r\n"),
     {400},
     true},
    {"bare CR", RAW("GET /nope HTTP/1.1\r" HOST_HDR "\r\n"), {400}, true},
    {"bare LF, pipelined",
     RAW("GET /nope HTTP/1.1\nHost: t\n\nGET /-/healthy HTTP/1.1\nHost: t\n\n"),
     {404, 200},
     false},
    {"bare LF with a body",
     RAW("POST /nope HTTP/1.1\nHost: t\nContent-Length: 5\n\nhello" GET("/-/healthy")),
     {404, 200},
     false},
    {"two Host fields", RAW("GET /nope HTTP/1.1\r\n" HOST_HDR HOST_HDR "\r\n"), {400}, true},
    {"HTTP/1.1 without Host", RAW("GET /nope HTTP/1.1\r\n\r\n"), {400}, true},
    {"Transfer-Encoding gzip", RAW(POST "Transfer-Encoding: gzip\r\n\r\n"), {400}, true},
    {"chunked twice",
     RAW(POST "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n"),
     {400},
     true},
    {"chunked not last", RAW(POST "Transfer-Encoding: chunked, gzip\r\n\r\n"), {400}, true},
    {"chunked in HTTP/1.0",
     RAW("POST /nope HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
     {400},
     true},
    /* A chunked body is not read: the answer closes the connection, so
     * whatever the chunks say, nothing in them is taken for a request. */
    {"a request in a chunked body", RAW(CHUNKED_POST "0\r\n\r\n" GET("/-/healthy")), {404}, true},
    {"a chunk size that is not hex", RAW(CHUNKED_POST "zz\r\n" GET("/-/healthy")), {404}, true},
    {"a negative chunk size", RAW(CHUNKED_POST "-1\r\n" GET("/-/healthy")), {404}, true},
    {"an overflowing chunk size",
     RAW(CHUNKED_POST "fffffffffffffffff1\r\n" GET("/-/healthy")),
     {404},
     true},
    {"junk after a chunk size",
     RAW(CHUNKED_POST "5 x\r\nhello\r\n0\r\n\r\n" GET("/-/healthy")),
     {404},
     true},
    /* Content-Length bodies are skipped however long, so a request inside
     * one is never answered. */
    {"a request in a Content-Length body",
     RAW(POST "Content-Length: 34\r\n\r\n" GET("/metrics") GET("/-/healthy")),
     {404, 200},
     false},
    {"a Content-Length swallowing what follows",
     RAW(POST "Content-Length: 1000000000000\r\n\r\n" GET("/-/healthy") GET("/-/healthy")),
     {404},
     false},
};

static void test_smuggling_is_framed_one_way(void **state)
{
    (void)state;
    promc_http_server *s = serve((promc_http_opts){0});
    int port = promc_http_server_port(s);
    /* Each case holds one connection at a time; nothing is kept. */
    watch w = watch_start("request smuggling", port, 4, 4096);
    assert_int_equal((int)strlen(GET("/metrics")), 34); /* the Content-Length above */
    for (size_t i = 0; i < sizeof smuggling / sizeof *smuggling; i++) {
        const struct smuggling *k = &smuggling[i];
        client c = cli_open(port);
        (void)cli_send(&c, k->raw, k->len); /* the server may close before the end */
        for (int j = 0; j < 2 && k->status[j]; j++) {
            response r;
            if (!cli_response(&c, &r, false, WAIT_MS))
                fail_msg("%s: no response %d", k->what, j + 1);
            if (r.status != k->status[j])
                fail_msg("%s: response %d is %d, want %d", k->what, j + 1, r.status, k->status[j]);
            if (r.status == 200)
                assert_string_equal(r.body, "OK\n");
            resp_free(&r);
        }
        /* Nothing more is answered; cli_closed fails on any byte. */
        if (k->closes && !cli_closed(&c, WAIT_MS))
            fail_msg("%s: the connection stays open", k->what);
        if (!k->closes && cli_closed(&c, 100))
            fail_msg("%s: the connection was closed", k->what);
        cli_close(&c);
        watch_sample(&w);
    }
    watch_end(&w, port);
    promc_http_server_free(s);
}

/* ------------------------------------------------------------------ */
/* Header floods                                                       */
/* ------------------------------------------------------------------ */

/* A request head of Host and n more header fields. */
static char *head_of_fields(int n, size_t *len)
{
    size_t cap = 64 + (size_t)n * 32;
    char *h = malloc(cap);
    assert_non_null(h);
    size_t off = (size_t)snprintf(h, cap, "GET /nope HTTP/1.1\r\n" HOST_HDR);
    for (int i = 0; i < n; i++)
        off += (size_t)snprintf(h + off, cap - off, "X-Field-%05d: value\r\n", i);
    off += (size_t)snprintf(h + off, cap - off, "\r\n");
    *len = off;
    return h;
}

/* Sends raw and expects one answer with status (or a reset while still
 * sending, when the server closed first), then the close. */
static void expect_refused(int port, const char *raw, size_t len, int status)
{
    client c = cli_open(port);
    bool sent = cli_send(&c, raw, len);
    response r;
    if (cli_response(&c, &r, false, WAIT_MS)) {
        assert_int_equal(r.status, status);
        resp_free(&r);
    } else if (sent) {
        fail_msg("no %d response", status);
    }
    assert_true(cli_closed(&c, WAIT_MS));
    cli_close(&c);
}

struct flood {
    int port;
    atomic_bool stop;
    atomic_long rounds; /* heads refused */
};

/* Opens connection after connection, each sending a head far over
 * max_head (200 fields, 5 KB, then 1 MB of one field's value), until told
 * to stop. */
static void *flood_main(void *arg)
{
    struct flood *f = arg;
    size_t len;
    char *many = head_of_fields(200, &len);
    static char huge[1 << 20];
    memset(huge, 'h', sizeof huge);
    memcpy(huge, "GET /nope HTTP/1.1\r\nHost: t\r\nX-Huge: ", 37);
    while (!atomic_load(&f->stop)) {
        for (int k = 0; k < 2; k++) {
            int fd = connect_ip(AF_INET, "127.0.0.1", f->port);
            if (fd < 0)
                continue;
            client c = cli_from_fd(fd);
            (void)cli_send(&c, k ? huge : many, k ? sizeof huge : len);
            /* Read to the close: the 431, or a reset. */
            int64_t deadline = mono_ms() + WAIT_MS;
            while (cli_fill(&c, deadline) == 1)
                c.len = 0;
            cli_close(&c);
        }
        atomic_fetch_add(&f->rounds, 1);
    }
    free(many);
    return NULL;
}

static void test_header_floods_are_cut_at_max_head(void **state)
{
    (void)state;
    promc_http_server *s = serve((promc_http_opts){0});
    int port = promc_http_server_port(s);
    /* A flood connection and its server side at a time, a few in closing;
     * the server holds at most max_head (16 KB) for each. */
    watch w = watch_start("header floods", port, 16, 4096);
    size_t len;
    char *h = head_of_fields(63, &len); /* with Host, the most a request may have */
    client c = cli_open(port);
    cli_send(&c, h, len);
    response r;
    expect_response(&c, &r, false);
    assert_int_equal(r.status, 404);
    resp_free(&r);
    cli_close(&c);
    free(h);
    h = head_of_fields(64, &len);
    expect_refused(port, h, len, 431);
    free(h);
    h = head_of_fields(1000, &len); /* 21 KB, over max_head */
    expect_refused(port, h, len, 431);
    free(h);

    /* Floods from another thread while normal scrapes go on. */
    struct flood f = {.port = port};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, flood_main, &f), 0);
    while (atomic_load(&f.rounds) < 1)
        sleep_ms(1);
    for (int i = 0; i < 5; i++)
        watch_scrape(&w, port);
    atomic_store(&f.stop, true);
    assert_int_equal(pthread_join(t, NULL), 0);
    print_message("  %ld flood rounds\n", atomic_load(&f.rounds));
    watch_end(&w, port);
    promc_http_server_free(s);
}

/* ------------------------------------------------------------------ */
/* Pipelining floods                                                   */
/* ------------------------------------------------------------------ */

#define NPIPELINED 6000

struct pipeliner {
    client *c;
    bool ok;
};

/* Sends NPIPELINED requests on one connection, alternating between one the
 * event loop answers and one a worker does. */
static void *pipeliner_main(void *arg)
{
    struct pipeliner *p = arg;
    static const char two[] = GET("/-/healthy") GET("/nope");
    enum { PER_WRITE = 100 }; /* pairs */
    static char batch[PER_WRITE * (sizeof two - 1)];
    for (int i = 0; i < PER_WRITE; i++)
        memcpy(batch + i * (sizeof two - 1), two, sizeof two - 1);
    p->ok = true;
    for (int sent = 0; sent < NPIPELINED; sent += 2 * PER_WRITE)
        if (!cli_send(p->c, batch, sizeof batch)) {
            p->ok = false;
            break;
        }
    return NULL;
}

static void test_pipelining_floods_are_answered_in_order(void **state)
{
    (void)state;
    promc_http_server *s = serve((promc_http_opts){0});
    int port = promc_http_server_port(s);
    /* Two clients and their server sides; the server reads at most
     * max_head of a pipelining client ahead, and holds at most one
     * response behind one that does not read. */
    watch w = watch_start("pipelining floods", port, 16, 4096);

    client c = cli_open(port);
    struct pipeliner p = {.c = &c};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, pipeliner_main, &p), 0);
    for (int i = 0; i < NPIPELINED; i++) {
        response r;
        if (!cli_response(&c, &r, false, BOUND_MS))
            fail_msg("no response %d of %d pipelined", i + 1, NPIPELINED);
        if (r.status != (i % 2 ? 404 : 200))
            fail_msg("response %d is %d: out of order", i + 1, r.status);
        resp_free(&r);
        if (i % 1000 == 999)
            watch_scrape(&w, port);
    }
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_true(p.ok);
    assert_false(cli_closed(&c, 20));
    cli_close(&c);

    /* A client that pipelines as much as the sockets take and never reads:
     * the server stops reading it once its answers wait, and goes on
     * serving others. */
    client mute = cli_open(port);
    assert_int_equal(fcntl(mute.fd, F_SETFL, O_NONBLOCK), 0);
    static const char one[] = GET("/nope");
    static char lots[1 << 16];
    for (size_t i = 0; i + sizeof one - 1 <= sizeof lots; i += sizeof one - 1)
        memcpy(lots + i, one, sizeof one - 1);
    size_t queued = 0;
    for (int64_t deadline = mono_ms() + WAIT_MS; mono_ms() < deadline;) {
        ssize_t n = send(mute.fd, lots, sizeof lots - sizeof lots % (sizeof one - 1), MSG_NOSIGNAL);
        if (n > 0) {
            queued += (size_t)n;
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            fail_msg("send: %s", strerror(errno));
        /* Full: once the server stopped reading it stays full. */
        sleep_ms(50);
        struct pollfd pf = {.fd = mute.fd, .events = POLLOUT};
        if (poll(&pf, 1, 0) == 0)
            break;
    }
    print_message("  %zu KB of requests sent to a client that never reads\n", queued >> 10);
    for (int i = 0; i < 3; i++)
        watch_scrape(&w, port);
    cli_close(&mute);
    watch_end(&w, port);
    promc_http_server_free(s);
}

/* ------------------------------------------------------------------ */
/* Thousands of idle connections                                       */
/* ------------------------------------------------------------------ */

static void test_idle_connections_are_shed_at_the_limit(void **state)
{
    (void)state;
    /* As many as the descriptor limit allows (a client and a server side
     * each), up to 3000; the server keeps a third of them. */
    struct rlimit rl;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
    rlim_t can = rl.rlim_max == RLIM_INFINITY ? 8000 : rl.rlim_max;
    if (can < 1000)
        fail_msg("RLIMIT_NOFILE hard limit %llu is too low", (unsigned long long)rl.rlim_max);
    int n = can > 6400 ? 3000 : (int)(can - 400) / 2;
    need_fds((rlim_t)(2 * n + 300));
    unsigned limit = (unsigned)n / 3;
    promc_http_server *s = serve((promc_http_opts){.max_connections = limit});
    int port = promc_http_server_port(s);
    /* The idle clients, and the server's side of at most limit + 1 of them
     * (one accepted while the oldest is being shed); each costs the server
     * its connection and a max_head buffer (16 KB), which stays mostly
     * untouched. */
    watch w = watch_start("idle connections", port, n + (int)limit + 16, (long)limit * 20 + 8192);

    int *idle = malloc((size_t)n * sizeof *idle);
    assert_non_null(idle);
    for (int i = 0; i < n; i++) {
        idle[i] = connect_ip(AF_INET, "127.0.0.1", port);
        if (idle[i] < 0)
            fail_msg("connection %d: %s", i, strerror(errno));
        if (i % 500 == 499)
            watch_sample(&w);
    }
    /* Once the loop has accepted them all, the limit holds exactly. */
    int64_t deadline = mono_ms() + WAIT_MS;
    int conns;
    while ((conns = server_conns(port)) > (int)limit && mono_ms() < deadline)
        sleep_ms(10);
    if (conns > (int)limit)
        fail_msg("%d connections kept with max_connections %u", conns, limit);
    watch_scrape(&w, port);
    /* The oldest were shed, the newest are kept and served. */
    client c = cli_from_fd(idle[0]);
    assert_true(cli_closed(&c, WAIT_MS));
    cli_close(&c);
    c = cli_from_fd(idle[n - 1]);
    assert_false(cli_closed(&c, 20));
    cli_send_str(&c, GET("/-/healthy"));
    response r;
    expect_response(&c, &r, false);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    cli_close(&c);
    for (int i = 1; i < n - 1; i++)
        close(idle[i]);
    free(idle);
    watch_end(&w, port);
    promc_http_server_free(s);
}

/* ------------------------------------------------------------------ */
/* Slowloris                                                           */
/* ------------------------------------------------------------------ */

#define SLOW_HEAD "GET /metrics HTTP/1.1\r\nHost: t\r\nX-Slow: "

/* Sends the next byte of a never-ending head on fd: false once the server
 * has closed it. */
static bool trickle(int fd, size_t *sent)
{
    static const char head[] = SLOW_HEAD;
    char b = *sent < sizeof head - 1 ? head[*sent] : 'x';
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 0) != 0) /* EOF or reset: closed */
        return false;
    if (send(fd, &b, 1, MSG_NOSIGNAL) != 1)
        return false;
    (*sent)++;
    return true;
}

static void test_slowloris_is_closed_at_read_timeout(void **state)
{
    (void)state;
    enum { NSLOW = 300, NSHORT = 50, SHORT_TIMEOUT_MS = 1000 };
    need_fds(2 * NSLOW + 300);
    static int fds[NSLOW];
    static size_t sent[NSLOW];

    /* Heads trickled a byte at a time by hundreds of clients, with a long
     * read_timeout: normal scrapes go on beside them. */
    promc_http_server *s = serve((promc_http_opts){0});
    int port = promc_http_server_port(s);
    /* The clients and their server sides; a max_head buffer each. */
    watch w = watch_start("slowloris", port, 2 * NSLOW + 16, (long)NSLOW * 20 + 8192);
    for (int i = 0; i < NSLOW; i++) {
        fds[i] = connect_ip(AF_INET, "127.0.0.1", port);
        assert_true(fds[i] >= 0);
        sent[i] = 0;
    }
    for (int round = 0; round < 40; round++) {
        for (int i = 0; i < NSLOW; i++)
            if (!trickle(fds[i], &sent[i]))
                fail_msg("slow client %d closed after %zu bytes, before read_timeout", i, sent[i]);
        if (round % 10 == 9)
            watch_scrape(&w, port);
        sleep_ms(10);
    }
    for (int i = 0; i < NSLOW; i++)
        close(fds[i]);
    watch_end(&w, port);
    promc_http_server_free(s);

    /* With a short read_timeout, each is closed at it while still sending:
     * the deadline is not extended by each byte (then the close could only
     * come read_timeout after the last byte), and the trickle would go on
     * for 10 s. Not before it: t0 is taken before connecting. */
    s = serve((promc_http_opts){.read_timeout = SHORT_TIMEOUT_MS / 1000.0});
    port = promc_http_server_port(s);
    int64_t t0 = mono_ms();
    int open = NSHORT;
    for (int i = 0; i < NSHORT; i++) {
        fds[i] = connect_ip(AF_INET, "127.0.0.1", port);
        assert_true(fds[i] >= 0);
        sent[i] = 0;
    }
    while (open && mono_ms() - t0 < 10000) {
        for (int i = 0; i < NSHORT; i++)
            if (fds[i] >= 0 && !trickle(fds[i], &sent[i])) {
                int64_t at = mono_ms() - t0;
                if (at < SHORT_TIMEOUT_MS)
                    fail_msg("closed after %lld ms, before read_timeout", (long long)at);
                close(fds[i]);
                fds[i] = -1;
                open--;
            }
        sleep_ms(20);
    }
    if (open)
        fail_msg("%d of %d slow clients still open after 10 s of trickling", open, NSHORT);
    print_message("  all %d closed after %lld ms of trickling (read_timeout %d ms)\n", NSHORT,
                  (long long)(mono_ms() - t0), SHORT_TIMEOUT_MS);
    promc_http_server_free(s);
}

/* ------------------------------------------------------------------ */
/* Slow readers beside normal scrapes                                  */
/* ------------------------------------------------------------------ */

/* A 6 MB body, more than the sockets take at once: most of it waits in
 * the server for a reader that does not read. */
#define BIG (6u << 20)
static char *big_body;

static void big_handler(void *ud, const char *method, const char *path, promc_http_response *resp)
{
    (void)ud;
    (void)method;
    (void)path;
    resp->body = big_body;
    resp->body_len = BIG;
}

static void test_slow_readers_beside_scrapes(void **state)
{
    (void)state;
    enum { NSLOW = 24 };
    size_t budget = 8u << 20;
    big_body = malloc(BIG);
    assert_non_null(big_body);
    memset(big_body, 'b', BIG);
    promc_http_server *s =
        serve((promc_http_opts){.max_pending_bytes = budget, .handler = big_handler});
    int port = promc_http_server_port(s);
    /* The slow readers and their server sides (a few at a time: the others
     * are shed); in memory, the budget, and a 6 MB download in the test's
     * buffers. Without the budget, 24 slow readers would pin some 80 MB. */
    watch w = watch_start("slow readers", port, 2 * NSLOW + 16,
                          (long)(budget >> 10) + 3 * (long)(BIG >> 10) + 8192);
    static client slow[NSLOW];
    int refused = 0, whole = 0;
    for (int i = 0; i < NSLOW; i++) {
        slow[i] = slow_reader_open(port, GET("/big"));
        struct pollfd p = {.fd = slow[i].fd, .events = POLLIN};
        assert_int_equal(poll(&p, 1, BOUND_MS), 1);
        for (int k = 1; k <= i; k += 2) { /* half of them read a byte at a time */
            char b;
            (void)recv(slow[k].fd, &b, 1, MSG_DONTWAIT);
        }
        if (i % 6 == 5) {
            watch_scrape(&w, port);
            /* A download through a small window: whole, or a 503 before
             * anything of it. */
            client c = cli_open_rcvbuf(port, 4096);
            cli_send_str(&c, GET("/big"));
            response r;
            if (cli_whole_or_503(&c, &r, BOUND_MS) == 200) {
                assert_int_equal(r.body_len, BIG);
                whole++;
            } else {
                refused++;
            }
            resp_free(&r);
            cli_close(&c);
            watch_sample(&w);
        }
    }
    size_t holders = budget / BIG;
    int64_t deadline = mono_ms() + WAIT_MS;
    while (server_conns(port) > (int)holders && mono_ms() < deadline)
        sleep_ms(10);
    assert_true(server_conns(port) <= (int)holders);
    double shed = test_value(registry, "promc_http_slow_readers_shed_total", NULL, 0);
    print_message("  %.0f slow readers shed; %d downloads whole, %d answered 503\n", shed, whole,
                  refused);
    assert_true(shed >= NSLOW - (double)holders);
    for (int i = 0; i < NSLOW; i++)
        cli_close(&slow[i]);
    watch_end(&w, port);
    promc_http_server_free(s);
    free(big_body);
}

static int setup(void **state)
{
    (void)state;
    registry_new();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    registry_free();
    return 0;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_smuggling_is_framed_one_way, setup, teardown),
        cmocka_unit_test_setup_teardown(test_header_floods_are_cut_at_max_head, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pipelining_floods_are_answered_in_order, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_idle_connections_are_shed_at_the_limit, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_slowloris_is_closed_at_read_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slow_readers_beside_scrapes, setup, teardown),
    };
    const char *only = getenv("PROMC_TEST_FILTER");
    if (only && *only)
        cmocka_set_test_filter(only);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
