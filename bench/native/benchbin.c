/*
 * Headroom benchmark helpers for the lab guest, one static binary (built on the host by
 * bench/run.ts into dist/bench/benchbin, reached by the guest over the 9p share).
 * C rather than Node or Python: under software emulation a Node start costs seconds and its
 * timers are themselves late, which would blur what is measured.
 *
 *   benchbin canary OUT          wake every 50 ms; on SIGTERM write "epoch_ms lateness_us"
 *                                lines to OUT. Lateness = time between two wake-ups minus
 *                                50 ms, so a stall anywhere in the loop (timer, page fault on
 *                                its own code or stack, scheduling) counts.
 *   benchbin hold MIB            touch MIB MiB (compressible), print "ready", sleep for ever
 *   benchbin hog GATE MIB0 STEP EVERY_MS MODE [STOP_PCT TOTAL_PCT HOLD_S]
 *                                wait for file GATE, then allocate MIB0 MiB and STEP MiB every
 *                                EVERY_MS ms, MODE random (incompressible), fill (one byte
 *                                value per MiB) or zram3 (each page RANDOM_PER_PAGE random bytes,
 *                                the rest a fixed text: about 3:1 in zram, and never a
 *                                same-filled page, which zram would store for free).
 *                                With STOP_PCT > 0 it stops before a step (MIB0 included) that
 *                                would bring MemAvailable below STOP_PCT % of MemTotal (it
 *                                reads /proc/meminfo before each step); with TOTAL_PCT > 0 once
 *                                it holds TOTAL_PCT % of MemTotal. Stopped, it prints
 *                                "stopped at_ms=… reason=low|total allocated_mib=…
 *                                mem_available_kib=… mem_total_kib=…", holds its memory HOLD_S
 *                                seconds, prints "exiting 0" and exits 0: the evidence that it
 *                                ended on its own, not by a kill.
 *   benchbin forker N            N sleeping child processes, print "ready", sleep for ever
 *   benchbin browser HOG_OUT MAIN_MIB CHILDREN CHILD_MIB HOG_ARGS...
 *                                a browser-like app (workload "browser"): the main process
 *                                touches MAIN_MIB MiB, then starts CHILDREN children, each
 *                                exec'd as "benchbin renderer --type=renderer
 *                                --renderer-client-id=I ..." (a Chromium renderer's marks, so a
 *                                killer reading /proc/PID/cmdline can tell its kind); the last
 *                                child is the hog (HOG_ARGS as for "hog", its output to
 *                                HOG_OUT), the others hold CHILD_MIB MiB. It prints
 *                                "renderer id=I pid=P role=hold|hog" per child, "main ready", then
 *                                reaps its children as a browser does, printing "child_exit
 *                                pid=P status=exit:N|signal:N" for each.
 *   benchbin renderer --type=renderer --renderer-client-id=I hold MIB | hog HOG_ARGS...
 *                                a child of "browser": raises its own oom_score_adj to 300
 *                                (what Chromium gives renderers; raising it needs no
 *                                privilege), prints "oom_score_adj 300", then runs hold or hog.
 *   benchbin sample OUT EVENTS TREE_PRESSURE [MM_STAT]
 *                                every 100 ms append one line to OUT:
 *                                epoch_ms memavail_kib swapfree_kib some10 full10 full_total_us
 *                                tree_full10 populated (of cgroup.events file EVENTS; where
 *                                EVENTS is a /proc/PID/stat file instead, 1 while that process
 *                                lives and is no zombie: the hog of "browser" is one process
 *                                of a scope that outlives it)
 *                                zram_orig_kib zram_compr_kib zram_used_kib zram_same_kib
 *                                (orig_data_size, compr_data_size, mem_used_total and
 *                                same_pages × the page size of MM_STAT, default
 *                                /sys/block/zram0/mm_stat; -1 where it is absent)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024L * 1024L)
#define PAGE 4096L

static int64_t now_ns(clockid_t c) {
    struct timespec ts;
    clock_gettime(c, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

static volatile sig_atomic_t stop_flag = 0;
static void on_term(int sig) {
    (void)sig;
    stop_flag = 1;
}

/* ---- canary ---- */
#define CANARY_MAX (20 * 60 * 60) /* one hour of wake-ups at 20 Hz */
static int64_t wake_ms[CANARY_MAX];
static int32_t late_us[CANARY_MAX];

static int canary(const char *out) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    /* Touch the record buffers now, so recording costs no page faults later. */
    memset(wake_ms, 0, sizeof wake_ms);
    memset(late_us, 0, sizeof late_us);
    long n = 0;
    int64_t prev = now_ns(CLOCK_MONOTONIC);
    printf("ready\n");
    fflush(stdout);
    while (!stop_flag && n < CANARY_MAX) {
        struct timespec ts = {0, 50 * 1000000L};
        if (nanosleep(&ts, NULL) == -1 && stop_flag) break;
        int64_t t = now_ns(CLOCK_MONOTONIC);
        int64_t late = (t - prev) / 1000 - 50000;
        wake_ms[n] = now_ns(CLOCK_REALTIME) / 1000000LL;
        late_us[n] = (int32_t)(late > INT32_MAX ? INT32_MAX : late);
        n++;
        prev = t;
    }
    FILE *f = fopen(out, "w");
    if (!f) return 1;
    for (long i = 0; i < n; i++) fprintf(f, "%lld %d\n", (long long)wake_ms[i], late_us[i]);
    fclose(f);
    return 0;
}

/* ---- hold / hog ---- */
static char *pattern;

enum { MODE_FILL, MODE_RANDOM, MODE_ZRAM3 };
/* zram3: random bytes per 4 KiB page. lzo-rle stores them as they are and the fixed text in
 * a few dozen bytes, so a page takes ~1.3 KiB: orig_data_size / mem_used_total near 3. */
#define RANDOM_PER_PAGE 1280L
static const char FIXED_TEXT[] = "headroom bench zburst: compressible but not same-filled. ";
static char fixed_page[PAGE];

static void grab(long mib, int mode, long *count) {
    for (long i = 0; i < mib; i++) {
        char *b = malloc(MIB);
        if (!b) {
            sleep_ms(1000);
            return;
        }
        if (mode == MODE_ZRAM3) {
            for (long p = 0; p < MIB / PAGE; p++) {
                char *pg = b + p * PAGE;
                long from = ((*count * (MIB / PAGE) + p) * 4099L) % (MIB - RANDOM_PER_PAGE);
                memcpy(pg, pattern + from, RANDOM_PER_PAGE);
                uint32_t v[2] = {(uint32_t)*count, (uint32_t)p};
                memcpy(pg, v, sizeof v);
                memcpy(pg + RANDOM_PER_PAGE, fixed_page + RANDOM_PER_PAGE, PAGE - RANDOM_PER_PAGE);
            }
        } else if (mode == MODE_RANDOM) {
            memcpy(b, pattern, MIB);
            /* Every page unique: no two pages of the hog compress against each other. */
            for (long p = 0; p < MIB / PAGE; p++) {
                uint32_t v[2] = {(uint32_t)*count, (uint32_t)p};
                memcpy(b + p * PAGE, v, sizeof v);
            }
        } else {
            memset(b, 1 + (int)(*count % 250), MIB);
        }
        (*count)++;
    }
}

static int hold(long mib) {
    long count = 0;
    grab(mib, MODE_FILL, &count);
    printf("ready\n");
    fflush(stdout);
    for (;;) pause();
    return 0;
}

static void read_meminfo(long *avail_kib, long *total_kib);

/* Whether the hog stops before a step of `step` MiB (see the usage above); prints why. */
static int should_stop(long step, long stop_pct, long total_pct, long allocated) {
    long avail = -1, total = -1;
    const char *reason = NULL;
    if (stop_pct <= 0 && total_pct <= 0) return 0;
    read_meminfo(&avail, &total);
    if (total <= 0) return 0;
    if (stop_pct > 0 && avail >= 0 && avail - step * 1024 < total * stop_pct / 100) reason = "low";
    else if (total_pct > 0 && allocated * 1024 >= total * total_pct / 100) reason = "total";
    if (!reason) return 0;
    printf("stopped at_ms=%lld reason=%s allocated_mib=%ld mem_available_kib=%ld mem_total_kib=%ld\n",
           (long long)(now_ns(CLOCK_REALTIME) / 1000000LL), reason, allocated, avail, total);
    fflush(stdout);
    return 1;
}

static int hog(const char *gate, long mib0, long step, long every_ms, const char *mode_name, long stop_pct, long total_pct,
               long hold_s) {
    int mode = strcmp(mode_name, "random") == 0 ? MODE_RANDOM : strcmp(mode_name, "zram3") == 0 ? MODE_ZRAM3 : MODE_FILL;
    if (mode != MODE_FILL) {
        pattern = malloc(MIB);
        uint64_t x = (uint64_t)now_ns(CLOCK_REALTIME) | 1;
        for (long i = 0; i < MIB / 8; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            memcpy(pattern + i * 8, &x, 8);
        }
        for (long i = 0; i < PAGE; i++) fixed_page[i] = FIXED_TEXT[i % (long)(sizeof FIXED_TEXT - 1)];
    }
    printf("waiting\n");
    fflush(stdout);
    struct stat st;
    while (stat(gate, &st) != 0) sleep_ms(10);
    long count = 0;
    int stopped = should_stop(mib0, stop_pct, total_pct, count);
    if (!stopped) grab(mib0, mode, &count);
    printf("ready\n");
    fflush(stdout);
    /* Absolute schedule: a stalled hog catches up, as a real leak's backlog would. */
    int64_t next = now_ns(CLOCK_MONOTONIC);
    while (!stopped) {
        next += every_ms * 1000000LL;
        int64_t wait = next - now_ns(CLOCK_MONOTONIC);
        if (wait > 0) sleep_ms((long)(wait / 1000000LL));
        if (should_stop(step, stop_pct, total_pct, count)) break;
        grab(step, mode, &count);
    }
    sleep_ms(hold_s * 1000);
    printf("exiting 0\n");
    fflush(stdout);
    return 0;
}

/* ---- forker ---- */
static int forker(long n) {
    for (long i = 0; i < n; i++) {
        pid_t p = fork();
        if (p == 0) {
            for (;;) pause();
        }
        if (p < 0) {
            perror("fork");
            return 1;
        }
    }
    printf("ready\n");
    fflush(stdout);
    for (;;) {
        if (wait(NULL) < 0 && errno == ECHILD) pause();
    }
}

/* ---- browser ---- */
#define RENDERER_ADJ "300"

static int renderer(int argc, char **argv) {
    /* argv: renderer --type=renderer --renderer-client-id=I hold MIB | hog ARGS... */
    int fd = open("/proc/self/oom_score_adj", O_WRONLY);
    if (fd < 0 || write(fd, RENDERER_ADJ, strlen(RENDERER_ADJ)) < 0) {
        perror("oom_score_adj");
        return 1;
    }
    close(fd);
    printf("oom_score_adj %s\n", RENDERER_ADJ);
    fflush(stdout);
    if (argc >= 6 && strcmp(argv[4], "hold") == 0) return hold(atol(argv[5]));
    if (argc >= 10 && strcmp(argv[4], "hog") == 0)
        return hog(argv[5], atol(argv[6]), atol(argv[7]), atol(argv[8]), argv[9], argc >= 11 ? atol(argv[10]) : 0,
                   argc >= 12 ? atol(argv[11]) : 0, argc >= 13 ? atol(argv[12]) : 0);
    fprintf(stderr, "renderer: bad arguments\n");
    return 2;
}

static pid_t spawn_renderer(int id, const char *out, char *const *tail, int ntail) {
    char idarg[64];
    snprintf(idarg, sizeof idarg, "--renderer-client-id=%d", id);
    char *argv[32];
    int n = 0;
    argv[n++] = "benchbin";
    argv[n++] = "renderer";
    argv[n++] = "--type=renderer";
    argv[n++] = idarg;
    for (int i = 0; i < ntail && n < 31; i++) argv[n++] = tail[i];
    argv[n] = NULL;
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        if (out) {
            int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd >= 0) {
                dup2(fd, 1);
                dup2(fd, 2);
                close(fd);
            }
        }
        /* The binary's own path, not /proc/self/exe: the comm a killer logs ("benchbin", as
         * Chromium's renderers show "chrome") comes from the name exec'd. */
        char self[4096];
        ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
        if (len <= 0) _exit(127);
        self[len] = 0;
        execv(self, argv);
        perror("execv");
        _exit(127);
    }
    return p;
}

static int browser(int argc, char **argv) {
    /* argv: browser HOG_OUT MAIN_MIB CHILDREN CHILD_MIB GATE MIB0 STEP EVERY_MS MODE [...] */
    const char *hog_out = argv[2];
    long main_mib = atol(argv[3]), children = atol(argv[4]);
    char *child_mib = argv[5];
    long count = 0;
    grab(main_mib, MODE_FILL, &count);
    for (long i = 1; i <= children; i++) {
        int is_hog = i == children;
        char *hold_tail[] = {"hold", child_mib};
        char *hog_tail[16] = {"hog"};
        int nhog = 1;
        for (int a = 6; a < argc && nhog < 15; a++) hog_tail[nhog++] = argv[a];
        pid_t p = is_hog ? spawn_renderer((int)i, hog_out, hog_tail, nhog) : spawn_renderer((int)i, NULL, hold_tail, 2);
        if (p < 0) {
            perror("fork");
            return 1;
        }
        printf("renderer id=%ld pid=%d role=%s\n", i, (int)p, is_hog ? "hog" : "hold");
        fflush(stdout);
    }
    printf("main ready\n");
    fflush(stdout);
    for (;;) {
        int st;
        pid_t p = wait(&st);
        if (p < 0) {
            if (errno == ECHILD) break;
            continue;
        }
        if (WIFSIGNALED(st)) printf("child_exit pid=%d status=signal:%d\n", (int)p, WTERMSIG(st));
        else printf("child_exit pid=%d status=exit:%d\n", (int)p, WEXITSTATUS(st));
        fflush(stdout);
    }
    /* Every renderer gone: a browser's main window stays open (an "Aw, Snap!" page per tab). */
    for (;;) pause();
}

/* ---- sampler ---- */
static int read_file(const char *path, char *buf, size_t len) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    ssize_t r = read(fd, buf, len - 1);
    close(fd);
    if (r < 0) return -1;
    buf[r] = 0;
    return 0;
}

static long meminfo_kib(const char *buf, const char *key) {
    const char *p = strstr(buf, key);
    if (!p) return -1;
    return strtol(p + strlen(key), NULL, 10);
}

static void read_meminfo(long *avail_kib, long *total_kib) {
    static char mem[8192];
    if (read_file("/proc/meminfo", mem, sizeof mem) != 0) return;
    *avail_kib = meminfo_kib(mem, "MemAvailable:");
    *total_kib = meminfo_kib(mem, "MemTotal:");
}

/* "some avg10=1.23 ... total=N\nfull avg10=..." */
static void psi(const char *buf, const char *kind, double *avg10, long long *total) {
    const char *p = strstr(buf, kind);
    *avg10 = -1;
    *total = -1;
    if (!p) return;
    const char *a = strstr(p, "avg10=");
    const char *t = strstr(p, "total=");
    if (a) *avg10 = strtod(a + 6, NULL);
    if (t) *total = strtoll(t + 6, NULL, 10);
}

static int sample(const char *out, const char *events, const char *tree_pressure, const char *mm_stat) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    FILE *f = fopen(out, "w");
    if (!f) return 1;
    static char mem[8192], pr[1024], tr[1024], ev[1024], mm[512];
    const int is_stat = strncmp(events, "/proc/", 6) == 0;
    const long long page_bytes = sysconf(_SC_PAGESIZE);
    while (!stop_flag) {
        int64_t t = now_ns(CLOCK_REALTIME) / 1000000LL;
        long avail = -1, swapfree = -1;
        if (read_file("/proc/meminfo", mem, sizeof mem) == 0) {
            avail = meminfo_kib(mem, "MemAvailable:");
            swapfree = meminfo_kib(mem, "SwapFree:");
        }
        double some10 = -1, full10 = -1, tfull10 = -1;
        long long ftotal = -1, dummy;
        if (read_file("/proc/pressure/memory", pr, sizeof pr) == 0) {
            psi(pr, "some", &some10, &dummy);
            psi(pr, "full", &full10, &ftotal);
        }
        if (read_file(tree_pressure, tr, sizeof tr) == 0) psi(tr, "full", &tfull10, &dummy);
        int populated = -1;
        if (is_stat) {
            /* a process: alive unless gone or a zombie (state after the ") " of the comm) */
            const char *close_paren = read_file(events, ev, sizeof ev) == 0 ? strrchr(ev, ')') : NULL;
            populated = close_paren && close_paren[1] == ' ' && close_paren[2] != 'Z' && close_paren[2] != 'X';
        } else if (read_file(events, ev, sizeof ev) == 0) populated = strstr(ev, "populated 1") != NULL;
        long long zorig = -1, zcompr = -1, zused = -1, zlimit, zmax, zsame = -1;
        int got = read_file(mm_stat, mm, sizeof mm) == 0 ? sscanf(mm, "%lld %lld %lld %lld %lld %lld", &zorig, &zcompr, &zused, &zlimit, &zmax, &zsame) : 0;
        if (got >= 3) {
            zorig /= 1024;
            zcompr /= 1024;
            zused /= 1024;
            zsame = got == 6 ? zsame * page_bytes / 1024 : -1;
        } else {
            zorig = zcompr = zused = zsame = -1;
        }
        fprintf(f, "%lld %ld %ld %.2f %.2f %lld %.2f %d %lld %lld %lld %lld\n", (long long)t, avail, swapfree, some10, full10, ftotal,
                tfull10, populated, zorig, zcompr, zused, zsame);
        fflush(f);
        sleep_ms(100);
    }
    fclose(f);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 3 && strcmp(argv[1], "canary") == 0) return canary(argv[2]);
    if (argc >= 3 && strcmp(argv[1], "hold") == 0) return hold(atol(argv[2]));
    if (argc >= 7 && strcmp(argv[1], "hog") == 0)
        return hog(argv[2], atol(argv[3]), atol(argv[4]), atol(argv[5]), argv[6], argc >= 8 ? atol(argv[7]) : 0,
                   argc >= 9 ? atol(argv[8]) : 0, argc >= 10 ? atol(argv[9]) : 0);
    if (argc >= 3 && strcmp(argv[1], "forker") == 0) return forker(atol(argv[2]));
    if (argc >= 11 && strcmp(argv[1], "browser") == 0) return browser(argc, argv);
    if (argc >= 6 && strcmp(argv[1], "renderer") == 0) return renderer(argc, argv);
    if (argc >= 5 && strcmp(argv[1], "sample") == 0)
        return sample(argv[2], argv[3], argv[4], argc >= 6 ? argv[5] : "/sys/block/zram0/mm_stat");
    fprintf(stderr, "usage: benchbin canary OUT | hold MIB | hog GATE MIB0 STEP EVERY_MS random|fill|zram3 [STOP_PCT TOTAL_PCT HOLD_S]"
                    " | forker N"
                    " | browser HOG_OUT MAIN_MIB CHILDREN CHILD_MIB GATE MIB0 STEP EVERY_MS MODE | renderer --type=renderer --renderer-client-id=I hold MIB|hog ..."
                    " | sample OUT EVENTS TREE_PRESSURE [MM_STAT]\n");
    return 2;
}
