"""web3.py providers that answer from a chain's JSON-RPC ``Dispatcher`` in the same process.

No socket and no HTTP: a request is encoded as the HTTP provider would encode it, handed to
``Dispatcher.handle_raw`` and the reply decoded, so results and error objects are exactly the
server's (a revert is code 3 with its data, which web3.py turns into ``ContractLogicError``).

The devnet is single-threaded by design: every handler runs on one event loop. ``LoopThread``
owns that loop and runs it in a daemon thread; the providers submit their requests to it, so
they can be used from any thread, and from inside another event loop (``InProcessProvider``
then blocks that loop for the duration of the call; use ``AsyncInProcessProvider`` with
``AsyncWeb3`` there). The only forbidden caller is the devnet's own loop thread (a handler or
a sequencer listener), where a blocking call would wait for itself: that raises
``RuntimeError`` at once instead of deadlocking.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar, cast

from web3._utils.batching import sort_batch_response_by_response_ids
from web3.exceptions import ProviderConnectionError
from web3.providers.async_base import AsyncJSONBaseProvider
from web3.providers.base import JSONBaseProvider
from web3.types import RPCEndpoint, RPCResponse

from rpc.jsonrpc import Dispatcher

T = TypeVar("T")

__all__ = ["AsyncInProcessProvider", "InProcessProvider", "LoopThread"]


class LoopThread:
    """An asyncio event loop running in a daemon thread: the devnet's only thread."""

    def __init__(self, name: str = "xrollup-devnet") -> None:
        self.loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()
        self._started.wait()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._started.set)
        try:
            self.loop.run_forever()
        finally:
            # cancel what is left (the mining loop, idle connections), then close
            pending = [t for t in asyncio.all_tasks(self.loop) if not t.done()]
            for task in pending:
                task.cancel()
            if pending:
                self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive() and not self.loop.is_closed()

    def in_loop_thread(self) -> bool:
        return threading.current_thread() is self._thread

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``coro`` on the loop and wait for its result (re-raising its exception).

        Raises RuntimeError from the loop's own thread (it would deadlock) or once stopped.
        """
        if self.in_loop_thread():
            coro.close()
            raise RuntimeError(
                "a blocking xrollup call was made from the devnet's own event-loop thread (a handler or "
                "a sequencer listener); it would wait for itself. Use AsyncInProcessProvider / AsyncWeb3 "
                "there, or call the sequencer directly"
            )
        if not self.alive:
            coro.close()
            raise ProviderConnectionError("the xrollup devnet is closed")
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError(f"the devnet did not answer within {timeout} s") from None

    def call(self, fn: Callable[..., T], *args: Any, timeout: float | None = None) -> T:
        """Run the synchronous ``fn(*args)`` on the loop thread (the only one allowed to touch
        the devnet's state) and return its result."""

        async def invoke() -> T:
            return fn(*args)

        return self.run(invoke(), timeout)

    async def run_async(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await ``coro`` on the devnet's loop from any event loop (directly when already on it)."""
        if self.in_loop_thread():
            return await coro
        if not self.alive:
            coro.close()
            raise ProviderConnectionError("the xrollup devnet is closed")
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))

    def stop(self, timeout: float = 30) -> None:
        """Stop the loop and join the thread (idempotent)."""
        if self._thread.is_alive() and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.loop.stop)
        if not self.in_loop_thread():
            self._thread.join(timeout)


def _decode_batch(provider: Any, raw: bytes | None) -> list[RPCResponse] | RPCResponse:
    if raw is None:  # only notifications were sent; web3 always sends ids
        return []
    response = provider.decode_rpc_response(raw)
    if not isinstance(response, list):  # an error about the batch as a whole
        return cast(RPCResponse, response)
    return cast(list[RPCResponse], sort_batch_response_by_response_ids(response))


class InProcessProvider(JSONBaseProvider):
    """A synchronous web3.py provider for one chain of an in-process devnet.

    ``Web3(InProcessProvider(dispatcher, loop_thread))``; batch requests
    (``with w3.batch_requests() as batch``) are supported.
    """

    def __init__(self, dispatcher: Dispatcher, loop: LoopThread, *, chain_id: int | None = None,
                 timeout: float | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dispatcher = dispatcher
        self.loop_thread = loop
        self.chain_id = chain_id
        self.timeout = timeout

    def __str__(self) -> str:
        return f"xrollup in-process chain {self.chain_id}"

    def _post(self, body: bytes) -> bytes | None:
        return self.loop_thread.run(self.dispatcher.handle_raw(body, None), self.timeout)

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        raw = self._post(self.encode_rpc_request(method, params))
        if raw is None:  # cannot happen: every request carries an id
            raise ProviderConnectionError(f"no reply to {method}")
        return self.decode_rpc_response(raw)

    def make_batch_request(self, requests: list[tuple[RPCEndpoint, Any]]) -> list[RPCResponse] | RPCResponse:
        return _decode_batch(self, self._post(self.encode_batch_rpc_request(requests)))

    def is_connected(self, show_traceback: bool = False) -> bool:
        if not self.loop_thread.alive:
            if show_traceback:
                raise ProviderConnectionError("the xrollup devnet is closed")
            return False
        return super().is_connected(show_traceback)


class AsyncInProcessProvider(AsyncJSONBaseProvider):
    """The ``AsyncWeb3`` counterpart of :class:`InProcessProvider` (usable from any event
    loop, including the devnet's own)."""

    def __init__(self, dispatcher: Dispatcher, loop: LoopThread, *, chain_id: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dispatcher = dispatcher
        self.loop_thread = loop
        self.chain_id = chain_id

    def __str__(self) -> str:
        return f"xrollup in-process chain {self.chain_id} (async)"

    async def _post(self, body: bytes) -> bytes | None:
        return await self.loop_thread.run_async(self.dispatcher.handle_raw(body, None))

    async def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        raw = await self._post(self.encode_rpc_request(method, params))
        if raw is None:
            raise ProviderConnectionError(f"no reply to {method}")
        return self.decode_rpc_response(raw)

    async def make_batch_request(self, requests: list[tuple[RPCEndpoint, Any]]) -> list[RPCResponse] | RPCResponse:
        return _decode_batch(self, await self._post(self.encode_batch_rpc_request(requests)))

    async def is_connected(self, show_traceback: bool = False) -> bool:
        if not self.loop_thread.alive:
            if show_traceback:
                raise ProviderConnectionError("the xrollup devnet is closed")
            return False
        return await super().is_connected(show_traceback)
