"""`make bench-report`'s memory sampler counts an address space once: a child that
subprocess has started with vfork and that has not yet run exec shares its parent's
memory, which /proc reports for both (seen as 183 + 183 MiB for one process)."""

from __future__ import annotations

import os
import threading
import time

from bench.report import TreeMemory, shares_address_space


def test_one_address_space_is_told_from_two():
    thread_id: list[int] = []
    ready, done = threading.Event(), threading.Event()

    def run() -> None:
        thread_id.append(threading.get_native_id())
        ready.set()
        done.wait(5)

    thread = threading.Thread(target=run)
    thread.start()
    ready.wait(5)
    try:
        # A thread runs in this process's address space, as a vforked child does.
        assert shares_address_space(os.getpid(), thread_id[0])
    finally:
        done.set()
        thread.join()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child only waits
        time.sleep(2)
        os._exit(0)
    try:
        assert not shares_address_space(os.getpid(), child)  # a forked copy has its own
    finally:
        os.kill(child, 9)
        os.waitpid(child, 0)
    assert not shares_address_space(os.getpid(), 2**22 + 12345)  # no such process


def test_the_sampler_adds_up_a_process_and_its_forked_child():
    """A process with 64 MiB of its own and a forked child: two address spaces, both
    counted."""
    reader, writer = os.pipe()
    parent = os.fork()
    if parent == 0:  # pragma: no cover - the sampled processes only wait
        own = b"x" * (64 * 1024 * 1024)  # pages written: resident
        if os.fork() == 0:
            time.sleep(30)
            os._exit(0)
        os.write(writer, b"1")
        time.sleep(30)
        del own
        os._exit(0)
    try:
        os.read(reader, 1)  # both are there
        memory = TreeMemory(root=parent)
        memory.sample()
        assert len(memory.peak_parts) == 2
        assert memory.peak_kib > 60 * 1024  # the 64 MiB, split between the two
    finally:
        for pid in TreeMemory._children(parent):
            os.kill(pid, 9)
        os.kill(parent, 9)
        os.waitpid(parent, 0)
