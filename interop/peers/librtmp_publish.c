/*
 * A librtmp publisher for the interop tests: pushes an FLV file to an RTMP URL at the pace
 * of its timestamps, the way librtmp-based encoders do (OBS's RTMP output is a fork of
 * librtmp): releaseStream, FCPublish, createStream, publish, then FLV tags through
 * RTMP_Write, then FCUnpublish and deleteStream on RTMP_Close.
 *
 *   cc -o librtmp_publish librtmp_publish.c $(pkg-config --cflags --libs librtmp)
 *   librtmp_publish rtmp://127.0.0.1:1935/live/test input.flv
 *
 * Exit status 0 when every tag was written, 1 otherwise (with the reason on stderr).
 */
#include <librtmp/log.h>
#include <librtmp/rtmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static unsigned long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned long long ms) {
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s URL FILE.flv\n", argv[0]);
        return 1;
    }
    FILE *f = fopen(argv[2], "rb");
    if (!f) {
        perror(argv[2]);
        return 1;
    }
    static char file[16 << 20];
    size_t len = fread(file, 1, sizeof file, f);
    fclose(f);
    if (len < 13 || memcmp(file, "FLV", 3) != 0) {
        fprintf(stderr, "%s: not an FLV file\n", argv[2]);
        return 1;
    }

    RTMP_LogSetLevel(RTMP_LOGERROR);
    RTMP *r = RTMP_Alloc();
    RTMP_Init(r);
    if (!RTMP_SetupURL(r, argv[1])) {
        fprintf(stderr, "bad URL %s\n", argv[1]);
        return 1;
    }
    RTMP_EnableWrite(r);
    if (!RTMP_Connect(r, NULL) || !RTMP_ConnectStream(r, 0)) {
        fprintf(stderr, "connect or publish failed\n");
        return 1;
    }

    unsigned long long start = now_ms();
    size_t pos = 13, tags = 0;
    while (pos + 11 <= len) {
        const unsigned char *t = (const unsigned char *)file + pos;
        size_t body = ((size_t)t[1] << 16) | ((size_t)t[2] << 8) | t[3];
        unsigned long long ts =
            ((unsigned long long)t[7] << 24) | ((unsigned long long)t[4] << 16) |
            ((unsigned long long)t[5] << 8) | t[6];
        size_t whole = 11 + body + 4; /* header, body, previous tag size */
        if (pos + whole > len) {
            break;
        }
        unsigned long long due = start + ts;
        unsigned long long now = now_ms();
        if (due > now) {
            sleep_ms(due - now);
        }
        if (RTMP_Write(r, file + pos, (int)whole) <= 0) {
            fprintf(stderr, "write failed at tag %zu\n", tags);
            return 1;
        }
        pos += whole;
        tags++;
    }
    RTMP_Close(r);
    RTMP_Free(r);
    printf("tags=%zu\n", tags);
    return 0;
}
