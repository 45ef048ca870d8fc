#!/usr/bin/python3
"""Runs a command and writes its peak resident memory (KiB) to a file.

    peak_rss.py OUT_FILE COMMAND [ARGS...]

Why a process of its own: Linux starts a child's ru_maxrss at the peak of the process
that execs it, and Python's subprocess execs from a copy of the caller (vfork). A driver
holding the benchmark's data (hundreds of MiB) would then lend its own peak to every
command it times. Started from here (a bare interpreter, run with -S), a command's
ru_maxrss is its own, plus at most this launcher's few MiB. The command's exit status is
this process's; its stdin, stdout and stderr are passed through.

The drivers of the benchmark (run.py, tool_vs_pandas.py) call run() below, which starts
a command through this file and returns its peak.
"""

import os
import subprocess
import sys
import tempfile


def run(command, **kwargs):
    """subprocess.run(command, **kwargs) through this launcher; returns (the CompletedProcess, the
    command's peak RSS in KiB)."""
    with tempfile.NamedTemporaryFile(mode="r") as rss:
        process = subprocess.run([sys.executable, "-S", os.path.abspath(__file__), rss.name] + list(command),
                                 **kwargs)
        return process, int(rss.read())


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: peak_rss.py OUT_FILE COMMAND [ARGS...]")
    out_file, command = sys.argv[1], sys.argv[2:]
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(command[0], command)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    with open(out_file, "w") as f:
        f.write(f"{usage.ru_maxrss}\n")
    sys.exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))


if __name__ == "__main__":
    main()
