#!/usr/bin/env python3
"""Runs a command in a new pseudo-terminal (80x24, or PTY_SIZE=ROWSxCOLS) and relays bytes: this process's stdin goes to
the terminal, the terminal's output comes out on stdout. The end of stdin does not end the
command (a pty has no EOF of its own); the helper exits with the command's exit code (128+N for
a signal) once the terminal has no more writers. Used by the CLI console tests.

    python3 pty-run.py CMD [ARG...]
"""
import fcntl
import os
import pty
import select
import struct
import sys
import termios


def main() -> int:
    argv = sys.argv[1:]
    if not argv:
        sys.stderr.write("usage: pty-run.py CMD [ARG...]\n")
        return 2
    pid, master = pty.fork()
    if pid == 0:
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    rows, cols = (int(n) for n in os.environ.get("PTY_SIZE", "24x80").split("x"))
    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    stdin_open = True
    while True:
        fds = [master] + ([0] if stdin_open else [])
        ready, _, _ = select.select(fds, [], [])
        if master in ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: every writer of the terminal is gone
                data = b""
            if not data:
                break
            os.write(1, data)
        if stdin_open and 0 in ready:
            data = os.read(0, 65536)
            if data:
                os.write(master, data)
            else:
                stdin_open = False
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


if __name__ == "__main__":
    sys.exit(main())
