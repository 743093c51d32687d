"""The demo workload: requests through routes, services and agents, in a thread pool."""

from concurrent.futures import ThreadPoolExecutor

from chat.agents.worker import broadcast
from chat.routes.chat import handle
from chat.routes.health import health
from chat.services.notify import notify


def request(n: int) -> int:
    client = f"client-{n % 7}"
    sent = handle(client, f"hello {n}")
    if n % 5 == 0:
        notify(client, "you have mail")
    if n % 25 == 0:
        broadcast([f"client-{i}" for i in range(7)], "maintenance at noon")
    return sent


def main() -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        sent = sum(pool.map(request, range(200)))
    print(f"served 200 requests, {sent} messages queued, health {health()}")


if __name__ == "__main__":
    main()
