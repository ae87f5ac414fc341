"""``vertex-openai chat [PROMPT]``: stream an answer; without PROMPT, an interactive chat."""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO, cast

import openai

from ..errors import VertexStreamError
from ._common import (
    DEFAULT_MODEL,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    add_target_args,
    connect,
    describe,
    print_error,
)

if TYPE_CHECKING:
    from openai import Stream
    from openai.types.chat import ChatCompletionChunk, ChatCompletionMessageParam

    from ._common import Commands


def add_parser(commands: Commands) -> None:
    """Register ``chat``."""
    parser = commands.add_parser(
        "chat",
        help="stream an answer; without PROMPT, an interactive conversation",
        description="Stream a model's answer to stdout. Without PROMPT: an interactive "
        "conversation (exit with Ctrl-D or 'exit'); PROMPT '-' reads the prompt from stdin.",
    )
    parser.add_argument("prompt", nargs="?", metavar="PROMPT", help="the question ('-': stdin)")
    parser.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        help=f"model; a bare name gets 'google/' (default {DEFAULT_MODEL})",
    )
    parser.add_argument("--system", metavar="TEXT", help="a system instruction")
    parser.add_argument(
        "--verbose", "-v", action="store_true", help="print target and token usage on stderr"
    )
    add_target_args(parser)
    parser.set_defaults(run=run)


class Status:
    """A "waiting for the first token" line on stderr (TTY only), erased before any output."""

    def __init__(self, text: str, stream: TextIO | None = None) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._text = text
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        try:
            self._enabled = self._stream.isatty()
        except (AttributeError, ValueError):
            self._enabled = False

    def start(self) -> Status:
        if self._enabled:
            self._thread = threading.Thread(target=self._run, name="vertex-openai-status")
            self._thread.daemon = True
            self._thread.start()
        return self

    def _run(self) -> None:
        frames = "|/-\\"
        started = time.monotonic()
        tick = 0
        while not self._done.is_set():
            elapsed = time.monotonic() - started
            self._stream.write(f"\r{frames[tick % 4]} {self._text} {elapsed:4.1f} s")
            self._stream.flush()
            tick += 1
            self._done.wait(0.1)

    def clear(self) -> None:
        """Stop and erase the status line (idempotent)."""
        if self._thread is None:
            return
        self._done.set()
        self._thread.join()
        self._thread = None
        self._stream.write("\r\x1b[2K")
        self._stream.flush()


@dataclass
class Answer:
    """One streamed answer: its text, the usage Vertex reported, and timings."""

    text: str
    usage: Any = None
    first_token_s: float | None = None
    total_s: float = 0.0


def stream_answer(
    client: openai.OpenAI,
    model: str,
    messages: list[dict[str, Any]],
    *,
    verbose: bool,
    out: TextIO,
) -> Answer:
    """Stream one answer to ``out``; the status line shows until the first text arrives."""
    kwargs: dict[str, Any] = {}
    if verbose:
        # Vertex sends usage on a stream's last chunk even without stream_options (the
        # streaming samples of Google's Vertex AI page "Call MaaS APIs for open models",
        # https://cloud.google.com/vertex-ai/generative-ai/docs/maas/call-open-model-apis);
        # ask for it explicitly for servers that honour stream_options.
        kwargs["stream_options"] = {"include_usage": True}
    status = Status(f"waiting for {model or 'the endpoint'}").start()
    started = time.monotonic()
    parts: list[str] = []
    answer = Answer("")
    try:
        stream = cast(
            "Stream[ChatCompletionChunk]",
            client.chat.completions.create(
                model=model,
                messages=cast("list[ChatCompletionMessageParam]", messages),
                stream=True,
                **kwargs,
            ),
        )
        with stream:
            for chunk in stream:
                if chunk.usage is not None:
                    answer.usage = chunk.usage
                for choice in chunk.choices:
                    text = choice.delta.content if choice.delta is not None else None
                    if not text or choice.index != 0:
                        continue
                    if answer.first_token_s is None:
                        answer.first_token_s = time.monotonic() - started
                        status.clear()
                    out.write(text)
                    out.flush()
                    parts.append(text)
    finally:
        status.clear()
    answer.text = "".join(parts)
    answer.total_s = time.monotonic() - started
    return answer


def end_line(answer: Answer, out: TextIO) -> None:
    """End the answer with exactly one newline."""
    if not answer.text.endswith("\n"):
        out.write("\n")
    out.flush()


def usage_line(answer: Answer) -> str:
    """``[usage] prompt P + completion C = total T tokens (timings)`` for --verbose."""
    usage = answer.usage
    timing = f"{answer.total_s:.2f} s"
    if answer.first_token_s is not None:
        timing = f"first token {answer.first_token_s:.2f} s, total {timing}"
    if usage is None:
        return f"[usage] not reported ({timing})"
    line = (
        f"[usage] prompt {usage.prompt_tokens} + completion {usage.completion_tokens} "
        f"= total {usage.total_tokens} tokens"
    )
    details = getattr(usage, "completion_tokens_details", None)
    reasoning = getattr(details, "reasoning_tokens", None) if details is not None else None
    if reasoning:
        line += f" (reasoning {reasoning})"
    return f"{line} ({timing})"


def read_prompt(interactive_tty: bool) -> str | None:
    """The next user line, or None at EOF / 'exit'."""
    try:
        line = input("you> ") if interactive_tty else sys.stdin.readline()
    except EOFError:
        return None
    if not interactive_tty and line == "":
        return None  # EOF
    line = line.strip()
    if line in ("exit", "quit", "/exit", "/quit"):
        return None
    return line


def run(args: argparse.Namespace) -> int:
    """``chat``: one answer for PROMPT, else the interactive conversation."""
    out = sys.stdout
    with contextlib.ExitStack() as stack:
        session = connect(args, stack)
        connection = session.connection
        model = connection.model_name(args.model)
        client = connection.openai_client()
        if args.verbose:
            where = f" (in-process emulator {session.emulator.url})" if session.emulator else ""
            print(f"[target] {connection.base_url}{where}", file=sys.stderr)
            print(f"[model] {model or '(ignored by a self-deployed endpoint)'}", file=sys.stderr)
        messages: list[dict[str, Any]] = []
        if args.system:
            messages.append({"role": "system", "content": args.system})

        if args.prompt is not None:
            prompt = sys.stdin.read().rstrip() if args.prompt == "-" else args.prompt
            if not prompt.strip():
                raise CliError("the prompt is empty", EXIT_USAGE)
            messages.append({"role": "user", "content": prompt})
            answer = stream_answer(client, model, messages, verbose=args.verbose, out=out)
            end_line(answer, out)
            if args.verbose:
                print(usage_line(answer), file=sys.stderr)
            return EXIT_OK
        return chat_loop(client, model, messages, args.verbose)


def chat_loop(
    client: openai.OpenAI, model: str, messages: list[dict[str, Any]], verbose: bool
) -> int:
    """The interactive conversation: one turn per line until EOF or 'exit'."""
    tty = sys.stdin.isatty()
    if tty:
        with contextlib.suppress(ImportError):
            import readline  # noqa: F401  (line editing and history for input())
        print(
            f"Chatting with {model or 'the endpoint'}. Ctrl-D or 'exit' to quit, "
            "Ctrl-C to interrupt an answer.",
            file=sys.stderr,
        )
    status = EXIT_OK
    out = sys.stdout
    while True:
        try:
            prompt = read_prompt(tty)
        except KeyboardInterrupt:
            print(file=sys.stderr)
            return EXIT_INTERRUPTED
        if prompt is None:
            if tty:
                print(file=sys.stderr)  # after Ctrl-D, leave the shell prompt on its own line
            return status
        if not prompt:
            continue
        messages.append({"role": "user", "content": prompt})
        try:
            answer = stream_answer(client, model, messages, verbose=verbose, out=out)
        except KeyboardInterrupt:
            messages.pop()
            print("\n(interrupted)", file=sys.stderr)
            continue
        except (openai.APIError, VertexStreamError) as exc:
            # The conversation goes on; the failed turn is dropped.
            messages.pop()
            print_error(describe(exc)[0])
            status = EXIT_FAILURE
            continue
        end_line(answer, out)
        messages.append({"role": "assistant", "content": answer.text})
        if verbose:
            print(usage_line(answer), file=sys.stderr)
