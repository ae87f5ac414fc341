"""Run by the pickle tests in a fresh interpreter: unpickle models and call the emulator.

Usage: ``python pickled_worker.py PAYLOAD`` where PAYLOAD is a file holding
``pickle.dumps({"name": bytes, ...})``, each value a model pickled with pickle or
cloudpickle (the value's first byte says which: ``b"p"`` or ``b"c"``). Prints one JSON line:
``{"name": {"answer": ..., "fetches": ..., "static": ..., "credentials": ...}, ...}``.
"""

from __future__ import annotations

import json
import pickle
import sys

from scaleout import call


def main(path: str) -> None:
    import cloudpickle

    with open(path, "rb") as file:
        payloads: dict[str, bytes] = pickle.load(file)
    results = {}
    for name, data in payloads.items():
        loads = cloudpickle.loads if data[:1] == b"c" else pickle.loads
        model = loads(data[1:])
        connected_before_use = model._connection is not None
        answer = call(model)
        source = model.connection.token_source
        creds = model.credentials
        results[name] = {
            "answer": answer,
            "connected_before_use": connected_before_use,
            "fetches": source.fetch_count,
            "static": source.is_static,
            "credentials": type(creds).__name__ if creds is not None else None,
            "base_url": model.connection.base_url,
        }
    print(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1])
