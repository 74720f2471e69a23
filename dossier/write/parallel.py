"""One job in a forked child while the parent works: the EPUB is written beside the PDF.

Once WeasyPrint has laid the book out, writing the PDF (the parent) and making the EPUB (page
markers, font subsets, the cover from the first page, the zip: the child) no longer depend on
each other. The layout is a graph of Python objects that cannot be sent to another process,
but a forked child shares it (copy-on-write; the garbage collector's generations are frozen
first so that it does not touch every object). Without `fork` (Windows), with one CPU, or with
DOSSIER_JOBS=1, the job runs in the parent when it is waited for. The standard library's
`multiprocessing` does the fork and carries the child's exception back through a pipe.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
from collections.abc import Callable
from typing import Any


def parallel_allowed() -> bool:
    if os.environ.get("DOSSIER_JOBS", "").strip() == "1":
        return False
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return cpus > 1 and "fork" in multiprocessing.get_all_start_methods()


class Background:
    """`job` started in a child process now (or run in this one at `wait`)."""

    def __init__(self, job: Callable[[], None]) -> None:
        self.job = job
        self.process: Any = None
        if parallel_allowed():
            context = multiprocessing.get_context("fork")
            self.receive, send = context.Pipe(duplex=False)
            gc.freeze()
            try:
                self.process = context.Process(target=_child, args=(job, send), daemon=True)
                self.process.start()
            finally:
                gc.unfreeze()
            send.close()

    def wait(self) -> None:
        """The job's end; its exception, if any, raised here."""
        if self.process is None:
            self.job()
            return
        try:
            message = self.receive.recv()
        except EOFError:  # the child died without a word (killed, out of memory)
            message = pickle.dumps(RuntimeError(f"EPUB process ended with status {self.process.exitcode}"))
        finally:
            self.process.join()
        if message is not None:
            raise pickle.loads(message)

    def cancel(self) -> None:
        if self.process is not None and self.process.is_alive():
            self.process.terminate()
            self.process.join()


def _child(job: Callable[[], None], send: Any) -> None:
    try:
        job()
    except BaseException as exc:  # carried to the parent, which reports it
        try:
            message = pickle.dumps(exc)
            pickle.loads(message)  # an exception that cannot be rebuilt is carried as its text
        except Exception:
            message = pickle.dumps(RuntimeError(f"{type(exc).__name__}: {exc}"))
        send.send(message)
    else:
        send.send(None)
    finally:
        send.close()
