"""A lean HTTP/1.1 client for the load generator: keep-alive connections, requests pre-encoded.

httpx was the first choice, and it was measured: on this machine its
``AsyncClient`` used more than one core to send 200 validates and 50
queries a second, so the client, not the server, made the latency. This
client does only what the benchmark needs: requests are bytes encoded
before the window opens, a connection carries one request at a time, and an
answer is read by its ``Content-Length`` (FastAPI's JSON answers have one).
"""

from __future__ import annotations

import asyncio
import re
from typing import NamedTuple

LENGTH = re.compile(rb"\r\ncontent-length: *(\d+)", re.IGNORECASE)


class Answer(NamedTuple):
    status: int
    body: bytes


def encode(method: str, path: str, host: str, body: bytes | None = None) -> bytes:
    """One request, ready to write on a keep-alive connection."""
    head = f"{method} {path} HTTP/1.1\r\nhost: {host}\r\n"
    if body is None:
        return f"{head}\r\n".encode()
    sized = f"{head}content-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
    return sized.encode() + body


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader, self._writer = reader, writer

    async def exchange(self, request: bytes) -> Answer:
        self._writer.write(request)
        head = await self._reader.readuntil(b"\r\n\r\n")
        length = LENGTH.search(head)
        if length is None:
            raise ConnectionError(f"an answer without content-length: {head[:200]!r}")
        return Answer(int(head[9:12]), await self._reader.readexactly(int(length[1])))

    def close(self) -> None:
        self._writer.close()


class Pool:
    """Up to ``size`` keep-alive connections to ``host:port``; a request waits for a free one."""

    def __init__(self, host: str, port: int, size: int) -> None:
        self._host, self._port, self._size = host, port, size
        self._idle: asyncio.Queue[_Connection] = asyncio.Queue()
        self._opened = 0

    async def request(self, request: bytes) -> Answer:
        connection = await self._take()
        try:
            answer = await connection.exchange(request)
        except BaseException:  # cancelled by a timeout too: the connection is in an unknown state
            connection.close()
            self._opened -= 1
            raise
        self._idle.put_nowait(connection)
        return answer

    async def _take(self) -> _Connection:
        if self._idle.empty() and self._opened < self._size:
            self._opened += 1
            try:
                return _Connection(*await asyncio.open_connection(self._host, self._port))
            except BaseException:
                self._opened -= 1
                raise
        return await self._idle.get()

    def close(self) -> None:
        while not self._idle.empty():
            self._idle.get_nowait().close()
