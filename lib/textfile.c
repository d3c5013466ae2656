/*
 * The textfile writer for node_exporter's textfile collector. node_exporter
 * reads *.prom files whenever it is scraped, so a half-written file would be
 * exported as garbage: write a temporary file in the same directory (rename
 * is only atomic within one filesystem), fsync it, rename it over the target,
 * then fsync the directory so the rename itself survives a crash.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "promc_http.h"

#include "internal.h"

static int fd_write(void *ctx, const char *data, size_t len)
{
    int fd = *(int *)ctx;
    while (len) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

int promc_textfile_write_ex(promc_registry *reg, const char *path, const promc_scrape_opts *opts)
{
    if (!path || !*path)
        return promc__fail(PROMC_EINVAL, "textfile: no path");
    size_t plen = strlen(path);
    /* "<path>.tmp.<pid>.<n>": unique per process and call, in the same
     * directory, and not ending in .prom, so node_exporter never reads it. */
    static atomic_uint counter;
    char *tmp = promc__malloc(plen + 48);
    char *dir = promc__strdup(path);
    if (!tmp || !dir) {
        promc__free(tmp);
        promc__free(dir);
        return promc__fail(PROMC_ENOMEM, "textfile: out of memory");
    }
    snprintf(tmp, plen + 48, "%s.tmp.%ld.%u", path, (long)getpid(), atomic_fetch_add(&counter, 1));
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        dir[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        strcpy(dir, ".");

    int rc = PROMC_OK;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = promc__fail(PROMC_EIO, "textfile: cannot create %s: %s", tmp, strerror(errno));
        goto out;
    }
    rc = promc_encode_ex(reg, PROMC_FORMAT_TEXT, fd_write, &fd, opts);
    if (rc != PROMC_OK) {
        rc = promc__fail(rc, "textfile: writing %s failed: %s", tmp,
                         rc == PROMC_EIO ? strerror(errno) : promc_strerror(rc));
    } else if (fsync(fd) != 0) {
        rc = promc__fail(PROMC_EIO, "textfile: fsync %s: %s", tmp, strerror(errno));
    }
    if (close(fd) != 0 && rc == PROMC_OK)
        rc = promc__fail(PROMC_EIO, "textfile: close %s: %s", tmp, strerror(errno));
    if (rc == PROMC_OK && rename(tmp, path) != 0)
        rc = promc__fail(PROMC_EIO, "textfile: rename to %s: %s", path, strerror(errno));
    if (rc != PROMC_OK) {
        unlink(tmp);
        goto out;
    }
    int dfd = open(dir, O_RDONLY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd); /* best effort: some filesystems refuse fsync on dirs */
        close(dfd);
    }
    promc__ok();
out:
    promc__free(tmp);
    promc__free(dir);
    return rc;
}

int promc_textfile_write(promc_registry *reg, const char *path)
{
    return promc_textfile_write_ex(reg, path, NULL);
}
