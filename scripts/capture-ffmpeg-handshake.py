#!/usr/bin/env python3
"""Record what an ffmpeg RTMP client sends during and right after the handshake.

A fake server on a loopback port answers C0+C1 with S0 + a simple S1 (zero version field,
so ffmpeg does not try to validate a server digest) + S2 (an exact echo of C1), then records
every byte the client sends for a couple of seconds and writes them to a file. ffmpeg never
gets an answer to its `connect`, so the recording is: C0 (1) + C1 (1536) + C2 (1536) + the
chunks of the `connect` command (and whatever else ffmpeg sends before giving up).

The S1 filler comes from a fixed-seed generator so a re-capture is reproducible; ffmpeg's own
C1 filler is fixed too (av_lfg seeded with 0xDEADC0DE, uptime 0), so the fixtures only change
when ffmpeg changes.

Usage (from the repository root):
    scripts/capture-ffmpeg-handshake.py                      # both captures, default paths
    scripts/capture-ffmpeg-handshake.py --only play --ffmpeg /path/to/ffmpeg
"""

import argparse
import os
import random
import socket
import subprocess
import sys
import threading
import time

C1_LEN = 1536
DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "rtmp-proto", "tests", "data")


def read_exact(conn, n):
    buf = b""
    while len(buf) < n:
        part = conn.recv(n - len(buf))
        if not part:
            raise ConnectionError("client closed after %d of %d bytes" % (len(buf), n))
        buf += part
    return buf


def serve_one(listener, seconds, max_bytes, result):
    """Accept one client, do the simple server handshake, record its bytes."""
    conn, _ = listener.accept()
    conn.settimeout(seconds)
    recorded = b""
    try:
        c0c1 = read_exact(conn, 1 + C1_LEN)
        recorded += c0c1
        rng = random.Random(0x52544D50)  # "RTMP": reproducible S1 filler
        s1 = bytes(4) + bytes(4) + bytes(rng.getrandbits(8) for _ in range(C1_LEN - 8))
        conn.sendall(b"\x03" + s1 + c0c1[1:])
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and len(recorded) < max_bytes:
            try:
                part = conn.recv(65536)
            except socket.timeout:
                break
            if not part:
                break
            recorded += part
    finally:
        conn.close()
        result.append(recorded[:max_bytes])


def capture(ffmpeg, kind, seconds, max_bytes):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    url = "rtmp://127.0.0.1:%d/live/test" % port
    if kind == "publish":
        cmd = [ffmpeg, "-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi",
               "-i", "testsrc=size=64x64:rate=5", "-t", "2", "-c:v", "libx264", "-f", "flv", url]
    else:
        cmd = [ffmpeg, "-hide_banner", "-loglevel", "error", "-i", url, "-t", "1", "-f", "null", "-"]
    result = []
    server = threading.Thread(target=serve_one, args=(listener, seconds, max_bytes, result))
    server.start()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    server.join(seconds + 10)
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    listener.close()
    if not result:
        raise RuntimeError("%s: ffmpeg never completed C0+C1" % kind)
    return result[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ffmpeg", default="ffmpeg")
    ap.add_argument("--only", choices=["publish", "play"])
    ap.add_argument("--seconds", type=float, default=2.0, help="how long to record after S2")
    ap.add_argument("--max-bytes", type=int, default=4096, help="cap on the recording")
    ap.add_argument("--out-dir", default=DATA_DIR)
    args = ap.parse_args()
    kinds = [args.only] if args.only else ["publish", "play"]
    for kind in kinds:
        data = capture(args.ffmpeg, kind, args.seconds, args.max_bytes)
        path = os.path.join(args.out_dir, "ffmpeg-%s-c2s.bin" % kind)
        with open(path, "wb") as f:
            f.write(data)
        print("%s: %d bytes -> %s" % (kind, len(data), os.path.normpath(path)))
        if len(data) <= 1 + 2 * C1_LEN:
            print("warning: nothing after C2 was recorded", file=sys.stderr)


if __name__ == "__main__":
    main()
