"""pyzmq half of bench/transport.sh: the same measurements as `fedhds transport-bench` (DEALER ->
ROUTER over tcp loopback, copying sends and receives, a fresh context each), printed as JSON.
The sender and the echo side run in threads; pyzmq releases the GIL inside send and recv."""
import json
import sys
import threading
import time

import zmq


def throughput(size, count, hwm):
    ctx = zmq.Context(1)
    router = ctx.socket(zmq.ROUTER)
    router.setsockopt(zmq.RCVHWM, hwm)
    router.setsockopt(zmq.LINGER, 0)
    router.bind("tcp://127.0.0.1:*")
    endpoint = router.getsockopt(zmq.LAST_ENDPOINT).decode()
    dealer = ctx.socket(zmq.DEALER)
    dealer.setsockopt(zmq.SNDHWM, hwm)
    dealer.setsockopt(zmq.LINGER, 0)
    dealer.connect(endpoint)
    payload = b"\xab" * size
    done = threading.Event()

    def send():
        for _ in range(count):
            dealer.send(payload)
        done.wait()
        dealer.close()

    t = threading.Thread(target=send)
    t.start()
    first = None
    for i in range(count):
        router.recv_multipart()
        if i == 0:
            first = time.perf_counter()
    elapsed = time.perf_counter() - first
    done.set()
    t.join()
    router.close()
    ctx.term()
    return (count - 1) / elapsed


def round_trip(size, count):
    ctx = zmq.Context(1)
    router = ctx.socket(zmq.ROUTER)
    router.setsockopt(zmq.LINGER, 0)
    router.bind("tcp://127.0.0.1:*")
    endpoint = router.getsockopt(zmq.LAST_ENDPOINT).decode()
    dealer = ctx.socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    dealer.connect(endpoint)

    def echo():
        for _ in range(count + 10):
            router.send_multipart(router.recv_multipart())

    t = threading.Thread(target=echo)
    t.start()
    payload = b"\xcd" * size
    for _ in range(10):
        dealer.send(payload)
        dealer.recv()
    start = time.perf_counter()
    for _ in range(count):
        dealer.send(payload)
        dealer.recv()
    elapsed = time.perf_counter() - start
    t.join()
    dealer.close()
    router.close()
    ctx.term()
    return elapsed / count


def main():
    large_count, small_count, rtts = (int(a) for a in sys.argv[1:4])
    large = 2 << 20
    r = {
        "large_GBps": throughput(large, large_count, 64) * large / 1e9,
        "small_Mmsgps": throughput(64, small_count, 100_000) / 1e6,
        "rtt_us": round_trip(64, rtts) * 1e6,
        "libzmq": zmq.zmq_version(),
        "pyzmq": zmq.__version__,
    }
    print(json.dumps(r, sort_keys=True))


if __name__ == "__main__":
    main()
