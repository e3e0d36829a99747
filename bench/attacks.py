"""What hostile clients do to one worker's memory and file descriptors.

Starts `pointsmall serve` (one worker, the embedded database and Redis), then:
1. 16 connections each sending one endless header (64 MiB offered);
2. 1,000 legacy graphql-ws sockets that never send connection_init;
3. 500 sockets sending connection_init five times each.
Prints the worker's resident memory and open descriptors before and after each, and how
much of the endless headers the server read before hanging up. Asserts nothing.

    .venv/bin/python bench/attacks.py
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from pathlib import Path

import websockets
from websockets.asyncio.client import connect

from common import HOST, pointsmall_command, server, server_environment

PORT = 8931
HEADER_OFFER = 64 * 1024 * 1024
INIT_TIMEOUT = 5


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def descriptors(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


async def endless_header() -> int:
    """Bytes sent before the server hung up."""
    _, writer = await asyncio.open_connection(HOST, PORT)
    writer.write(b"POST /graphql HTTP/1.1\r\nhost: bench\r\nx-endless: ")
    sent = 0
    try:
        while sent < HEADER_OFFER:
            writer.write(b"a" * 65536)
            await writer.drain()
            sent += 65536
    except ConnectionError:
        pass
    writer.close()
    return sent


async def silent_socket() -> object:
    return await connect(f"ws://{HOST}:{PORT}/graphql", subprotocols=["graphql-ws"])  # type: ignore[list-item]


async def repeated_inits(token: str) -> None:
    init = json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
    async with connect(f"ws://{HOST}:{PORT}/graphql", subprotocols=["graphql-ws"]) as socket:  # type: ignore[list-item]
        try:
            for _ in range(5):
                await socket.send(init)
                await asyncio.sleep(0.01)
            await asyncio.wait_for(socket.wait_closed(), 1)  # 4429 since 2026-12-03
        except (websockets.ConnectionClosed, TimeoutError):
            pass


def line(label: str, pid: int) -> str:
    return f"| {label} | {rss_mib(pid):,.0f} MiB | {descriptors(pid)} |"


async def attack(pid: int, token: str) -> list[str]:
    rows = [line("started, warmed up", pid)]
    sent = await asyncio.gather(*(endless_header() for _ in range(16)))
    rows.append(line("16 endless headers (64 MiB offered each)", pid))
    rows.append(
        f"| (sent of each before the server hung up: at most {max(sent) / 1024:,.0f} KiB) | | |"
    )
    sockets = await asyncio.gather(*(silent_socket() for _ in range(1000)))
    rows.append(line("1,000 sockets open, none initialised", pid))
    await asyncio.sleep(INIT_TIMEOUT + 2)
    rows.append(line(f"... {INIT_TIMEOUT + 2} s later (init timeout {INIT_TIMEOUT} s)", pid))
    for socket in sockets:
        await socket.close()  # type: ignore[attr-defined]
    for _ in range(5):
        await asyncio.gather(*(repeated_inits(token) for _ in range(100)))
    await asyncio.sleep(1)
    rows.append(line("500 sockets x 5 connection_init each", pid))
    return rows


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        env = server_environment(f"sqlite://{folder}/attacks.sqlite3", "")
        env.pop("REDIS_URL")
        env.update(WEBSOCKET_INIT_TIMEOUT_SECONDS=str(INIT_TIMEOUT), RATE_LIMITS="off")
        os.system(f"DATABASE_URL={env['DATABASE_URL']} {pointsmall_command()} migrate >/dev/null")
        token = os.popen(f"{pointsmall_command()} token bench").read().strip()
        with server(PORT, 1, env, Path(folder) / "server.log") as process:
            time.sleep(1)
            rows = asyncio.run(attack(process.pid, token))
    print("| one worker | resident memory | open descriptors |")
    print("|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
