"""Test-only: runs a command in a pseudo-terminal, types messages at its `you> ` prompts, and prints
what the terminal showed as JSON: {"output": ..., "code": exit code}. Usage: pty-session.py SPEC_JSON
with SPEC {"argv": [...], "messages": [...], "timeout": seconds}."""
import json
import os
import pty
import select
import sys
import time

spec = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.execv(spec["argv"][0], spec["argv"])

deadline = time.time() + spec["timeout"]
output = b""
closed = False


def read_some():
    global output, closed
    ready, _, _ = select.select([fd], [], [], 0.2)
    if not ready:
        return
    try:
        data = os.read(fd, 4096)
    except OSError:
        closed = True
        return
    if not data:
        closed = True
    output += data


for index, message in enumerate(spec["messages"]):
    while output.count(b"you> ") < index + 1 and not closed and time.time() < deadline:
        read_some()
    os.write(fd, (message + "\r").encode())
while not closed and time.time() < deadline:
    read_some()
if not closed:
    os.kill(pid, 9)
_, status = os.waitpid(pid, 0)
print(json.dumps({"output": output.decode("utf-8", "replace"), "code": os.waitstatus_to_exitcode(status), "timedOut": not closed}))
