"""A local SMS gateway for the tests: accepts POSTed JSON and appends each
request (headers and body) as one JSON line to a file. Answers 503 while a
file named DOWN exists beside that file.
Usage: /usr/bin/python3 sms_sink.py PORT OUTFILE"""
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, out = int(sys.argv[1]), sys.argv[2]
down = os.path.join(os.path.dirname(out), "DOWN")


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        if os.path.exists(down):
            self.send_response(503)
            self.end_headers()
            return
        with open(out, "a", encoding="utf-8") as f:
            f.write(json.dumps({"auth": self.headers.get("Authorization"),
                                "type": self.headers.get("Content-Type"),
                                "body": json.loads(body)}) + "\n")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"status":"accepted"}')

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
