/*
 * The files of multi-process mode (mp_file.c), in client_python's mmap_dict
 * layout: an int32 `used` at offset 0, 4 bytes of padding, then entries of
 * an int32 key length, the UTF-8 key padded with spaces to 8-byte alignment
 * (always 1..8 bytes of padding, after the length), and an 8-byte double
 * -- or, in the layout of client_python 0.18 and later, two doubles: the
 * value and a Unix timestamp (0 unless a mostrecent gauge was set). A file
 * has no version field: a file's layout is the one its entries fit (real
 * files fit one only; see validate in mp_file.c).
 *
 * A writer (one per file and process) reserves address space for the
 * largest file up front and maps the file into it with MAP_FIXED as it
 * grows, so a cell's address never changes; the file is grown with
 * posix_fallocate, so a full disk is an error when a series is created and
 * never a SIGBUS later. An entry is written completely before `used` is
 * advanced past it (a release store): a process killed in between leaves
 * it invisible. After fork(), the child maps a file of its own (same
 * entries, values zero) at the same addresses: see promc__mp_fork_child.
 *
 * A reader maps a file read-only, checks every length and offset against
 * the file's size and the key's shape, and loads values with atomic 8-byte
 * loads: a reader never sees a torn value.
 */
#ifndef PROMC_MP_FILE_H
#define PROMC_MP_FILE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROMC__MP_INITIAL_SIZE (1u << 16)
/* `used` is an int32: no file is larger. */
#define PROMC__MP_MAX_SIZE (1u << 30)
/* The longest key (its JSON text, in bytes) a writer creates and a reader
 * accepts. client_python's keys are a name, a sample name, labels and a
 * help text: far shorter. Without a cap a reader given a file with one
 * huge key would allocate several times its length to parse it; a file
 * with a longer key is refused whole, as any other bad file. */
#define PROMC__MP_MAX_KEY (1u << 16)

/* The two layouts, as the bytes after an entry's key. */
#define PROMC__MP_VALUE   8  /* a value: client_python before 0.18 */
#define PROMC__MP_STAMPED 16 /* a value and a timestamp: 0.18 and later */

struct promc__mp_file; /* one file a process writes */

/* Opens (creating it, or continuing it when it exists and is valid) the
 * file dir/<prefix>_<id>.db in a layout (PROMC__MP_VALUE or
 * PROMC__MP_STAMPED). Errors recorded (PROMC_EIO naming the file, also
 * when it holds entries in the other layout; PROMC_ENOMEM); NULL then. */
struct promc__mp_file *promc__mp_file_open(const char *dir, const char *prefix, const char *id,
                                           unsigned layout);
/* The value cell of key (appending a zero entry when absent; in the
 * stamped layout the timestamp cell is the next word), or NULL with
 * the error recorded (PROMC_EIO: the file cannot grow, naming it;
 * PROMC_ELIMIT: the key is longer than PROMC__MP_MAX_KEY, or the file
 * would pass PROMC__MP_MAX_SIZE). The
 * caller serialises calls for one file. */
_Atomic uint64_t *promc__mp_file_cell(struct promc__mp_file *f, const char *key, size_t len);
/* Unmaps and closes (the file stays). */
void promc__mp_file_close(struct promc__mp_file *f);
/* Closes the file (it stays) but keeps its cells' addresses valid: the
 * mapped part is replaced by private anonymous memory at the same
 * addresses, at zero, and the rest of the reservation is unmapped. For
 * handles that outlive the mode (promc_multiprocess_shutdown): their
 * updates then stay in this process. Out of memory: as close. */
void promc__mp_file_retire(struct promc__mp_file *f);
/* In a child after fork(): writes <prefix>_<pid>.db with the same entries,
 * values zero, and maps it over the parent's at the same addresses. Only
 * async-signal-safe calls, no allocation. Returns false when the child
 * could not get its own file (it then keeps writing into the parent's). */
bool promc__mp_file_fork_child(struct promc__mp_file *f, long pid);
/* The file's path (for messages). */
const char *promc__mp_file_path(const struct promc__mp_file *f);

/* One entry a reader found. */
struct promc__mp_entry {
    const char *key;
    size_t key_len;
    double value;
    double timestamp; /* 0 in the value layout */
};

/* Calls fn for every entry of the file at path, mapped read-only, after
 * validating the whole file first (nothing is reported from a bad file;
 * fn NULL only validates).
 * *layout (when not NULL) is set to the file's layout: PROMC__MP_VALUE or
 * PROMC__MP_STAMPED, or 0 for a file without entries (either).
 * Returns 0, ENOENT when the file vanished (a live gauge file removed by
 * mark_process_dead), or -1 with why in reason (a static text). */
int promc__mp_file_read(const char *path, int (*fn)(void *ctx, const struct promc__mp_entry *e),
                        void *ctx, unsigned *layout, const char **reason);

/* Appends an entry in a layout to a buffer being built into a new file
 * (compaction); buf starts with the 8-byte header. */
struct promc__buf;
void promc__mp_buf_entry(struct promc__buf *b, unsigned layout, const char *key, size_t len,
                         double value, double timestamp);

#endif

/* The lock of a directory (flock on dir/.promc.lock): shared for readers,
 * exclusive for compaction, so a reader of this library never sees a
 * compaction half done. Returns the descriptor to pass to unlock, or -1
 * when the lock file cannot be opened (a read-only directory: readers then
 * go without). */
int promc__mp_dir_lock(const char *dir, bool exclusive);
void promc__mp_dir_unlock(int fd);
