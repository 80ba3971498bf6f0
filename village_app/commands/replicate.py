"""``village-app replicate SOURCE TARGET``: CouchDB replication between stores.

Each of SOURCE and TARGET is a ``.sqlite`` path or a CouchDB URL (credentials
in the URL, or ``COUCHDB_USER`` / ``COUCHDB_PASSWORD``). On a terminal a
progress bar is redrawn in place; otherwise one plain line per batch, for
logs. One summary line at the end, then the exit status of :data:`EXIT_STATUSES`
(a failure, refusals by the target, an interruption each with a line saying so).
``--continuous`` follows the source until Ctrl-C (or SIGTERM); a one-shot run
stops at either within a second, its checkpoints intact, and a rerun resumes.

Whatever came from a peer (a refusal's reason, a document id, an error body) is
printed through :func:`sync.errors.peer_text`: no escape sequence reaches the terminal.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
from pathlib import Path
from typing import Any, TextIO

import sync
from sync import replicate
from sync.errors import CouchError, ReadOnlyStorageError, peer_text
from sync.replication import Replication, ReplicationEvent, ReplicationOptions, State
from village_app import repo

_BAR_WIDTH = 30

EXIT_OK = 0
EXIT_FAILED = 1  # failed, or the target refused every revision it was sent
EXIT_USAGE = 2  # bad arguments, or a file that cannot be written (or a source not read)
EXIT_DENIED = 3  # done, but the target refused some revisions
EXIT_SIGNAL = 128  # + the signal's number: a one-shot run interrupted, as a shell says it
#: The exit statuses as ``--help`` (and the README's sync section) lists them.
EXIT_STATUSES = """\
exit status:
  0    done: every revision copied (with --continuous: stopped by Ctrl-C or SIGTERM)
  1    failed, or the target denied every revision it was sent: nothing was written
  2    bad arguments, or a .sqlite target that cannot be written or source not read
  3    done, but the target denied some revisions (each printed as "denied ...")
  130  interrupted by Ctrl-C (SIGINT) before the end; run it again to resume
  143  interrupted by SIGTERM before the end; run it again to resume
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "replicate",
        help="replicate SOURCE to TARGET (.sqlite paths or CouchDB URLs)",
        description="Copy every document revision SOURCE has and TARGET lacks, "
        "with the CouchDB replication protocol; resumes where the last run stopped.",
        epilog=EXIT_STATUSES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("source", help="a .sqlite path or a CouchDB database URL")
    p.add_argument("target", help="a .sqlite path or a CouchDB database URL (created if missing)")
    p.add_argument(
        "--continuous", action="store_true", help="keep following SOURCE until interrupted"
    )
    p.add_argument(
        "--selector",
        type=_selector,
        metavar="JSON",
        help="replicate only documents matching a Mango selector, e.g. '{\"published\": true}'",
    )
    p.add_argument(
        "--batch-size",
        type=_positive,
        default=ReplicationOptions.batch_size,
        metavar="N",
        help="changes per batch (a checkpoint follows each batch; default %(default)s)",
    )
    p.add_argument(
        "--doc-id",
        action="append",
        dest="doc_ids",
        metavar="ID",
        help="replicate only this document (may be repeated)",
    )
    p.set_defaults(handler=run)


def _selector(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--selector is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("--selector must be a JSON object")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from exc
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def run(args: argparse.Namespace) -> int:
    return asyncio.run(replicate_command(args, out=sys.stdout, err=sys.stderr))


async def replicate_command(args: argparse.Namespace, *, out: TextIO, err: TextIO) -> int:
    if not getattr(args, "verbose", False):
        # The progress lines say it all; one log line per HTTP request, or the failure
        # logged once more before it is printed, would drown them.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        logging.getLogger("sync.replication").setLevel(logging.ERROR)
    progress = _Progress(out, err, tty=out.isatty())
    opts: dict[str, Any] = {"batch_size": args.batch_size, "continuous": args.continuous}
    if args.selector is not None:
        opts["selector"] = args.selector
    if args.doc_ids:
        opts["doc_ids"] = args.doc_ids
    try:
        rep = replicate(args.source, args.target, on_event=progress.on_event, **opts)
    except CouchError as exc:
        print(f"replication failed: {exc.reason}", file=err)
        return EXIT_USAGE
    progress.rep = rep
    loop = asyncio.get_running_loop()
    signals: list[signal.Signals] = []

    def interrupt(sig: signal.Signals) -> None:
        # The replication stops within CANCEL_GRACE, even in the middle of a request
        # that never ends; its checkpoints stay true, so a rerun resumes.
        signals.append(sig)
        rep.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, interrupt, sig)
    try:
        await rep
    except ReadOnlyStorageError as exc:
        progress.finish()
        print(f"replication failed: {exc.reason}", file=err)
        return EXIT_USAGE
    except CouchError as exc:
        progress.finish()
        print(f"replication failed: {peer_text(exc.reason, 500)}", file=err)
        return EXIT_FAILED
    except Exception as exc:  # a bug, or something the stores did not name
        progress.finish()
        print(f"replication failed: {type(exc).__name__}: {peer_text(exc, 500)}", file=err)
        return EXIT_FAILED
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
    progress.finish()
    print(summary(rep), file=out)
    fixed = await repair_after_pull(args.target)
    if fixed:
        print(
            f"repaired {fixed} derived values (matter stages, publicity flags) after the pull",
            file=out,
        )
    return exit_status(rep, signals, err)


def exit_status(rep: Replication, signals: list[signal.Signals], err: TextIO) -> int:
    """The exit status of a run that ended without an error (see :data:`EXIT_STATUSES`),
    with a line on ``err`` for each reason it is not 0."""
    c = rep.counters
    status = EXIT_OK
    if c.docs_denied:
        # CouchDB's replicator counts refusals (doc_write_failures) and completes; a run
        # whose every write was refused must not look like a success all the same.
        if not c.docs_written:
            example = ""
            if rep.denied:
                first = rep.denied[0]
                example = f" (first: {peer_text(first.docid, 100)}: {peer_text(first.reason, 200)})"
            print(
                f"replication failed: the target refused all {c.docs_denied} revisions "
                f"it was sent{example}",
                file=err,
            )
            status = EXIT_FAILED
        else:
            print(
                f"incomplete: the target refused {c.docs_denied} of "
                f"{c.docs_denied + c.docs_written} revisions; the others were written "
                '(the refused ones are listed above as "denied")',
                file=err,
            )
            status = EXIT_DENIED
    if rep.state is State.CANCELLED and signals and not rep.options.continuous:
        print(
            f"interrupted by {signals[0].name}: stopped at the last checkpoint; "
            "run the same command again to resume",
            file=err,
        )
        if status in (EXIT_OK, EXIT_DENIED):
            status = EXIT_SIGNAL + signals[0].value
    return status


async def repair_after_pull(target: str) -> int:
    """A village database that was pulled into: recompute what is copied from the evidence
    (see :meth:`village_app.repo.VillageStore.repair_derived`); a remote target is left to its
    own server."""
    path = Path(target)
    if "://" in target or path.suffix != ".sqlite" or not path.exists():
        return 0
    db = await sync.open_database(str(path), create=False)
    try:
        return await repo.VillageStore(
            db, path.stem, repo.Actor("village-app replicate")
        ).repair_derived()
    finally:
        await db.close()


def summary(rep: Replication) -> str:
    c = rep.counters
    verb = "replicated" if rep.state is State.COMPLETE else rep.state.value
    line = (
        f"{verb} {rep.source_location} -> {rep.target_location}: "
        f"{c.docs_read} docs read, {c.docs_written} written, {c.docs_denied} denied "
        f"in {rep.seconds:.1f} s"
    )
    if c.requests is not None:
        line += f" ({c.requests} requests, {c.bytes_sent or 0} bytes sent, {c.bytes_received or 0} received)"
    return line


class _Progress:
    """Prints events: a bar redrawn in place on a terminal, plain lines otherwise."""

    def __init__(self, out: TextIO, err: TextIO, *, tty: bool) -> None:
        self.out, self.err, self.tty = out, err, tty
        self.rep: Replication | None = None
        self._total: int | None = None
        self._drawn = False

    async def on_event(self, event: ReplicationEvent) -> None:
        if event.kind == "state" and event.state is State.ACTIVE and self._total is None:
            self._total = await self._estimate_total()
        if event.kind == "change":
            self._batch(event)
        elif event.kind == "denied" and event.denial is not None:
            d = event.denial
            self._line(
                f"denied {peer_text(d.docid, 100)} ({peer_text(d.error, 60)}): "
                f"{peer_text(d.reason, 200)}",
                self.err,
            )
        elif event.kind == "retry":
            self._line(
                f"connection trouble ({peer_text(event.error, 300)}); "
                f"retrying in {event.retry_in:.1f} s",
                self.err,
            )
        elif (
            # Paused with an error is the wait before a retry, not a caught-up feed.
            event.kind == "state"
            and event.state is State.PAUSED
            and event.error is None
            and not self.tty
        ):
            self._line("caught up; waiting for changes", self.out)

    async def _estimate_total(self) -> int | None:
        source = self.rep.source if self.rep is not None else None
        if source is None or isinstance(source, str):
            return None
        try:
            info = await source.info()
        except CouchError:
            return None
        total = int(info.get("doc_count", 0)) + int(info.get("doc_del_count", 0))
        return total or None

    def _batch(self, event: ReplicationEvent) -> None:
        c = event.counters
        counts = f"{c.docs_read} read, {c.docs_written} written, {c.docs_denied} denied"
        if not self.tty:
            print(f"batch {c.batches}: {counts}, last seq {c.last_seq}", file=self.out, flush=True)
            return
        total = (c.changes_read + c.pending) if c.pending is not None else self._total
        fraction = min(1.0, c.changes_read / total) if total else 0.0
        filled = int(fraction * _BAR_WIDTH)
        bar = "#" * filled + "-" * (_BAR_WIDTH - filled)
        self.out.write(f"\r[{bar}] {fraction:4.0%} {counts}\x1b[K")
        self.out.flush()
        self._drawn = True

    def _line(self, text: str, stream: TextIO) -> None:
        self.finish()
        print(text, file=stream, flush=True)

    def finish(self) -> None:
        if self._drawn:
            self.out.write("\n")
            self.out.flush()
            self._drawn = False
