#!/usr/bin/env python3
"""Record what ffmpeg sends to a real RTMP server over a whole session.

A TCP proxy on a loopback port forwards between ffmpeg and a server (by default the
`std_server` example, started here on another loopback port) and records the bytes ffmpeg
sends (client -> server), from C0 on. Two captures:

  publish  ffmpeg publishes one second of generated H.264 + AAC to rtmp://.../live/test;
           the recording is cut at --max-bytes (the replay test only needs a prefix).
  play     ffmpeg plays rtmp://.../live/test; nothing is published there, so it connects,
           plays, waits and is stopped after --seconds. Everything it sent is kept.

The files are the fixtures of rtmp-proto/tests/session_replay.rs. With --s2c-dir the proxy
also writes what the server answered (server -> client), used as fuzz seeds for the
`client_bytes` target.

Usage (from the repository root):
    cargo build --release -p rtmp-proto --example std_server
    scripts/capture-ffmpeg-session.py
    scripts/capture-ffmpeg-session.py --only play --server 127.0.0.1:1935   # a running server
"""

import argparse
import os
import socket
import subprocess
import sys
import threading
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
DATA_DIR = os.path.join(ROOT, "rtmp-proto", "tests", "data")
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
DEFAULT_SERVER_BIN = os.path.join(TARGET, "release", "examples", "std_server")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_listening(port, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not listen on port %d" % port)


def pump(src, dst, record, lock):
    """Copies src to dst until either side closes, appending what passed to `record`."""
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            with lock:
                record.extend(data)
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def proxy_one(listener, upstream, c2s, s2c, done):
    """Accepts one client and joins it to `upstream` until both directions end."""
    client, _ = listener.accept()
    server = socket.create_connection(upstream)
    lock = threading.Lock()
    threads = [
        threading.Thread(target=pump, args=(client, server, c2s, lock), daemon=True),
        threading.Thread(target=pump, args=(server, client, s2c, lock), daemon=True),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    client.close()
    server.close()
    done.set()


def ffmpeg_args(ffmpeg, kind, url):
    base = [ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin"]
    if kind == "publish":
        return base + ["-re", "-f", "lavfi", "-i", "testsrc=size=64x64:rate=10",
                       "-f", "lavfi", "-i", "sine", "-t", "1", "-c:v", "libx264", "-g", "10",
                       "-c:a", "aac", "-b:a", "32k", "-f", "flv", url]
    return base + ["-i", url, "-t", "1", "-f", "null", "-"]


def capture(ffmpeg, kind, upstream, seconds):
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    c2s, s2c, done = bytearray(), bytearray(), threading.Event()
    t = threading.Thread(target=proxy_one, args=(listener, upstream, c2s, s2c, done), daemon=True)
    t.start()
    url = "rtmp://127.0.0.1:%d/live/test" % port
    proc = subprocess.Popen(ffmpeg_args(ffmpeg, kind, url), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _, err = proc.communicate(timeout=seconds)
        if kind == "publish" and proc.returncode != 0:
            raise RuntimeError("ffmpeg publish failed: %s" % err.decode(errors="replace"))
    except subprocess.TimeoutExpired:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    done.wait(5)
    listener.close()
    return bytes(c2s), bytes(s2c)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ffmpeg", default="ffmpeg")
    ap.add_argument("--only", choices=["publish", "play"])
    ap.add_argument("--server", help="ADDR:PORT of a running server (default: start std_server)")
    ap.add_argument("--server-bin", default=DEFAULT_SERVER_BIN)
    ap.add_argument("--seconds", type=float, default=4.0, help="how long ffmpeg may run")
    ap.add_argument("--max-bytes", type=int, default=6144, help="cap on the publish recording")
    ap.add_argument("--out-dir", default=DATA_DIR)
    ap.add_argument("--s2c-dir", help="also write what the server answered here")
    args = ap.parse_args()

    server_proc = None
    if args.server:
        host, port = args.server.rsplit(":", 1)
        upstream = (host, int(port))
    else:
        port = free_port()
        server_proc = subprocess.Popen([args.server_bin, "--listen", "127.0.0.1:%d" % port],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        upstream = ("127.0.0.1", port)
    try:
        wait_listening(upstream[1])
        for kind in [args.only] if args.only else ["publish", "play"]:
            c2s, s2c = capture(args.ffmpeg, kind, upstream, args.seconds)
            if kind == "publish":
                c2s = c2s[:args.max_bytes]
            path = os.path.join(args.out_dir, "ffmpeg-%s-session.bin" % kind)
            with open(path, "wb") as f:
                f.write(c2s)
            print("%s: %d bytes -> %s" % (kind, len(c2s), os.path.relpath(path, ROOT)))
            if args.s2c_dir:
                path = os.path.join(args.s2c_dir, "ffmpeg-%s-s2c.bin" % kind)
                with open(path, "wb") as f:
                    f.write(s2c)
                print("%s: %d bytes answered -> %s" % (kind, len(s2c), path))
            if len(c2s) <= 3073:
                print("warning: nothing after the handshake was recorded", file=sys.stderr)
    finally:
        if server_proc:
            server_proc.terminate()
            server_proc.wait()


if __name__ == "__main__":
    main()
