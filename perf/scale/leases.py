#!/usr/bin/env python3
"""Writes flannel leases into etcd the way flanneld writes them, fast, for perf/scale/scale.sh.

Talks to etcd's own JSON gateway (/v3/...) over one kept-alive HTTP connection, so thousands of leases take seconds
instead of one etcdctl process each. Every key is <prefix>/subnets/10.A.B.0-24 and every value
{"PublicIP":"198.18.X.Y","PublicIPv6":null}, attached to one 24 h etcd lease, byte for byte what flanneld writes.

  leases.py ENDPOINT PREFIX fill N                 N leases, spread over 10.0.0.0/8, each with its own PublicIP
  leases.py ENDPOINT PREFIX clear N                deletes the N leases fill wrote
  leases.py ENDPOINT PREFIX churn RATE SECONDS     move RATE of those leases a second to another PublicIP and back
  leases.py ENDPOINT PREFIX probe COUNT PUBLIC_IP  COUNT new leases in 10.240.0.0/12, one at a time, naming
                                                   PUBLIC_IP; after each put, a UDP datagram to the new subnet's .1
                                                   port 9999 every millisecond, carrying the probe number and its send
                                                   time, for a second; then the lease is deleted. Prints
                                                   "probe subnet put_epoch" per lease
  leases.py listen SECONDS                         receives those datagrams (on the host PUBLIC_IP names) and prints
                                                   "probe first_sent_epoch" for the first of each probe to arrive
  leases.py ENDPOINT PREFIX compact                compacts etcd at its current revision

Subnets: lease i of fill is network index 100 + 12 i of the 65,536 /24s of 10.0.0.0/8 (spread over most of the
network, so the daemon's index covers it), PublicIP 198.18.0.0 + 256 + i; probe i is index 61440 + i
(10.240.0.0/12, which fill never reaches). Indexes below 100 are left to the daemons. Everything is bounded in count
and time.
"""
import base64
import http.client
import json
import socket
import sys
import time
import urllib.parse

TTL_SECONDS = 24 * 3600
TXN_OPS = 100  # below etcd's default --max-txn-ops (128)


def b64(text):
    return base64.b64encode(text.encode()).decode()


class Etcd:
    def __init__(self, endpoint):
        url = urllib.parse.urlparse(endpoint)
        self.conn = http.client.HTTPConnection(url.hostname, url.port or 2379, timeout=10)

    def call(self, path, body):
        self.conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        response = self.conn.getresponse()
        data = response.read()
        if response.status != 200:
            raise SystemExit(f"etcd {path}: HTTP {response.status}: {data[:200]!r}")
        return json.loads(data)

    def grant(self):
        return self.call("/v3/lease/grant", {"TTL": TTL_SECONDS})["ID"]

    def put(self, key, value, lease):
        return self.call("/v3/kv/put", {"key": b64(key), "value": b64(value), "lease": lease})

    def delete(self, key):
        return self.call("/v3/kv/deleterange", {"key": b64(key)})

    def txn_puts(self, pairs, lease):
        ops = [{"requestPut": {"key": b64(k), "value": b64(v), "lease": lease}} for k, v in pairs]
        return self.call("/v3/kv/txn", {"success": ops})

    def txn_deletes(self, keys):
        return self.call("/v3/kv/txn", {"success": [{"requestDeleteRange": {"key": b64(k)}} for k in keys]})

    def revision(self):
        return int(self.call("/v3/kv/range", {"key": b64("\0"), "limit": 1})["header"]["revision"])

    def compact(self):
        revision = self.revision()
        self.call("/v3/kv/compaction", {"revision": revision, "physical": True})
        return revision


def subnet_key(prefix, index):
    return f"{prefix}/subnets/10.{index >> 8}.{index & 255}.0-24"


def value(public_ip):
    return json.dumps({"PublicIP": public_ip, "PublicIPv6": None}, separators=(",", ":"))


def lease_ip(i, moved=False):
    n = 256 + i + (32768 if moved else 0)  # moved addresses stay inside 198.18.0.0/15
    return f"198.{18 + (n >> 16)}.{(n >> 8) & 255}.{n & 255}"


def fill_index(i):
    return 100 + 12 * i


PROBE_PORT = 9999


def probe_index(i):
    return 61440 + i


def listen(seconds):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("0.0.0.0", PROBE_PORT))
    sock.settimeout(0.5)
    seen = set()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            data = sock.recv(64)
        except socket.timeout:
            continue
        probe, sent = data.decode().split()
        if probe not in seen:
            seen.add(probe)
            print(f"{probe} {sent}", flush=True)


def main(argv):
    if len(argv) >= 3 and argv[1] == "listen":
        listen(min(float(argv[2]), 7200))
        return
    if len(argv) < 4:
        raise SystemExit(__doc__)
    endpoint, prefix, command = argv[1], argv[2].rstrip("/"), argv[3]
    etcd = Etcd(endpoint)
    if command == "fill":
        n = int(argv[4])
        if not 1 <= n <= 5000:
            raise SystemExit("fill: N must be 1..5000")
        lease = etcd.grant()
        for first in range(0, n, TXN_OPS):
            batch = range(first, min(n, first + TXN_OPS))
            etcd.txn_puts([(subnet_key(prefix, fill_index(i)), value(lease_ip(i))) for i in batch], lease)
    elif command == "clear":
        n = int(argv[4])
        if not 1 <= n <= 5000:
            raise SystemExit("clear: N must be 1..5000")
        for first in range(0, n, TXN_OPS):
            etcd.txn_deletes([subnet_key(prefix, fill_index(i)) for i in range(first, min(n, first + TXN_OPS))])
    elif command == "churn":
        rate, seconds = float(argv[4]), float(argv[5])
        if not (0 < rate <= 1000 and 0 < seconds <= 7200):
            raise SystemExit("churn: RATE must be 0..1000 a second and SECONDS 0..7200")
        lease = etcd.grant()
        start = time.monotonic()
        done = 0
        # Leases 0..999 move to another address and back: each put is a changed PublicIP.
        while (elapsed := time.monotonic() - start) < seconds:
            if done >= elapsed * rate:
                time.sleep(min(0.01, done / rate - elapsed))
                continue
            i = done % 1000
            etcd.put(subnet_key(prefix, fill_index(i)), value(lease_ip(i, moved=(done // 1000) % 2 == 0)), lease)
            done += 1
        print(f"churn: {done} puts in {time.monotonic() - start:.1f} s", file=sys.stderr)
    elif command == "probe":
        count, public_ip = int(argv[4]), argv[5]
        if not 1 <= count <= 1000:
            raise SystemExit("probe: COUNT must be 1..1000")
        lease = etcd.grant()
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for i in range(count):
            index = probe_index(i)
            key = subnet_key(prefix, index)
            target = (f"10.{index >> 8}.{index & 255}.1", PROBE_PORT)
            put = time.time()
            etcd.put(key, value(public_ip), lease)
            print(f"{i} 10.{index >> 8}.{index & 255}.0 {put:.6f}", flush=True)
            # Until the route is in, the daemon drops these (NoRoute); the first one through dates the route.
            until = time.monotonic() + 1.0
            while time.monotonic() < until:
                sock.sendto(f"{i} {time.time():.6f}".encode(), target)
                time.sleep(0.001)
            etcd.delete(key)
            time.sleep(0.1)
    elif command == "compact":
        print(etcd.compact())
    else:
        raise SystemExit(f"unknown command {command}\n{__doc__}")


if __name__ == "__main__":
    main(sys.argv)
