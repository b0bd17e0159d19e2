#!/usr/bin/env python3
"""filing_receiver.py - a tiny HTTPS server speaking the receiving side of
Xerox's HTTP filing protocol (DESIGN 3.3), for sim/device/selftest.sh only.

POST <any path> with multipart/form-data (theOperation, destDir, destName,
sendfile): saves the file as DIR/<count>-<destName> and appends one JSON line
to DIR/uploads.jsonl.  Answers an empty 200, except: a path containing
"/refuse/" gets 403 "XRXERROR", "/xrxerror/" gets 200 "XRXERROR".

usage: filing_receiver.py PORT CERT KEY DIR
"""
import email.parser
import email.policy
import http.server
import json
import os
import ssl
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def answer(self, status, text=b""):
        self.send_response(status)
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        if "/refuse/" in self.path:
            return self.answer(403, b"XRXERROR")
        ctype = self.headers.get("Content-Type", "")
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body)
        fields, data = {}, None
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name == "sendfile":
                data = part.get_payload(decode=True)
            else:
                fields[name] = part.get_content().strip()
        if "/xrxerror/" in self.path:
            return self.answer(200, b"XRXERROR")
        if fields.get("theOperation") != "PutFile" or data is None:
            return self.answer(400, b"XRXERROR")
        outdir = self.server.outdir
        count = len([n for n in os.listdir(outdir) if not n.endswith(".jsonl")]) + 1
        dest = os.path.basename(fields.get("destName", "unnamed"))
        with open(os.path.join(outdir, "%03d-%s" % (count, dest)), "wb") as f:
            f.write(data)
        with open(os.path.join(outdir, "uploads.jsonl"), "a") as f:
            f.write(json.dumps({"path": self.path, "fields": fields,
                                "bytes": len(data)}) + "\n")
        self.answer(200)


def main():
    port, cert, key, outdir = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    srv.outdir = outdir
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
