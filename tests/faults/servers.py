"""Servers the fault tests start, stop and kill themselves (never the machine's shared ones)."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from redis.asyncio import Redis
from redis.exceptions import RedisError

from tests.conftest import required_program


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class PrivateRedis:
    """A redis-server on a port of its own, that a test may kill and start again."""

    port: int
    binary: str
    process: asyncio.subprocess.Process | None = field(default=None)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            *(self.binary, "--port", str(self.port), "--bind", "127.0.0.1"),
            *("--save", "", "--appendonly", "no"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = Redis(port=self.port, socket_connect_timeout=0.2)
        try:
            for _ in range(200):
                try:
                    if await client.ping():
                        return
                except (RedisError, OSError):
                    await asyncio.sleep(0.025)
            raise AssertionError("the private redis-server did not start")
        finally:
            await client.aclose()

    async def kill(self) -> None:
        """As a crash would: no goodbye, everything it held lost."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()
            self.process = None


@asynccontextmanager
async def private_redis() -> AsyncIterator[PrivateRedis]:
    server = PrivateRedis(
        free_port(), required_program("redis-server", "the fault tests start one of their own")
    )
    await server.start()
    try:
        yield server
    finally:
        await server.kill()


@dataclass
class LocalCluster:
    """A Redis Cluster of three primaries (no replicas) on ports of their own."""

    ports: list[int]
    processes: list[asyncio.subprocess.Process]

    @property
    def url(self) -> str:
        return f"redis+cluster://127.0.0.1:{self.ports[0]}"


@asynccontextmanager
async def local_cluster(directory: Path, nodes: int = 3) -> AsyncIterator[LocalCluster]:
    server = required_program("redis-server", "the cluster test starts a cluster of its own")
    cli = required_program("redis-cli", "the cluster test creates its cluster with it")
    cluster = LocalCluster([free_port() for _ in range(nodes)], [])
    try:
        for port in cluster.ports:
            node = directory / str(port)
            node.mkdir()
            bus = free_port()  # not port + 10000, the default: that may be past 65535
            cluster.processes.append(
                await asyncio.create_subprocess_exec(
                    *(server, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(node)),
                    *("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"),
                    *("--cluster-port", str(bus)),
                    *("--save", "", "--appendonly", "no"),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        for port in cluster.ports:
            await _until_answers(port)
        create = await asyncio.create_subprocess_exec(
            *(cli, "--cluster", "create"),
            *(f"127.0.0.1:{port}" for port in cluster.ports),
            *("--cluster-replicas", "0", "--cluster-yes"),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        output, _ = await create.communicate()
        assert create.returncode == 0, output.decode()
        for port in cluster.ports:
            await _until_cluster_ok(port)
        yield cluster
    finally:
        for process in cluster.processes:
            process.send_signal(signal.SIGKILL)
            await process.wait()


async def _until_answers(port: int) -> None:
    client = Redis(port=port, socket_connect_timeout=0.2)
    try:
        for _ in range(200):
            try:
                if await client.ping():
                    return
            except (RedisError, OSError):
                await asyncio.sleep(0.025)
        raise AssertionError(f"redis-server on {port} did not start")
    finally:
        await client.aclose()


async def _until_cluster_ok(port: int) -> None:
    client = Redis(port=port, decode_responses=True)
    try:
        for _ in range(400):
            info: dict[str, str] = await client.execute_command(  # type: ignore[no-untyped-call]
                "CLUSTER INFO"  # parsed into a dict
            )
            if info.get("cluster_state") == "ok":
                return
            await asyncio.sleep(0.025)
        raise AssertionError(f"the cluster never became ready on {port}")
    finally:
        await client.aclose()
