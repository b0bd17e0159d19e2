#!/usr/bin/env python3
"""filing_receiver.py - a small HTTPS server answering Xerox's HTTP filing
protocol the way Xerox's sample HTTP filing script does (the PHP class
phpRequestExecutor; tests/fixtures/eip/filing/answers.tsv), for
sim/device/selftest.sh only.

Each URL path is its own repository, a folder tree under DIR/fs/.  Every
operation is appended to DIR/ops.jsonl ({path, op, dir, name, answer}); each
document filed (not .LCK/.XST) is also copied to DIR/NNN-<name>, and a line
goes to DIR/uploads.jsonl.  Answers are HTTP 200 with the sample's texts,
except: a path containing "/refuse/" gets 403 "XRXERROR" for everything;
"/xrxerror/" answers XRXERROR to every document PutFile; "/refuse-second/" answers
XRXERROR to the second document PutFile.

usage: filing_receiver.py PORT CERT KEY DIR
"""
import email.parser
import email.policy
import hashlib
import http.server
import json
import os
import shutil
import ssl
import sys

FILE_EXTS = (".xst", ".dat", ".txt", ".lck")  # CheckFileExtension (+ .lck)
DIR_EXTS = (".lck", ".xsm")                    # CheckDirectoryExtension


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def answer(self, status, text=b""):
        self.send_response(status)
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    def root(self):
        key = hashlib.sha256(self.path.encode()).hexdigest()[:16]
        r = os.path.join(self.server.outdir, "fs", key)
        os.makedirs(r, exist_ok=True)
        return r

    def local(self, root, d, name=None):
        """destDir (and destName) inside root; None when it climbs out."""
        parts = [p for p in d.replace("\\", "/").split("/") if p]
        if name is not None:
            parts.append(name)
        if any(p in (".", "..") for p in parts):
            return None
        return os.path.join(root, *parts)

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
        op = fields.get("theOperation", "")
        d, name = fields.get("destDir", ""), fields.get("destName", "")
        text = self.run(op, d, name, fields.get("delDir", ""), data)
        with open(os.path.join(self.server.outdir, "ops.jsonl"), "a") as f:
            f.write(json.dumps({"path": self.path, "op": op, "dir": d, "name": name,
                                "answer": text}) + "\n")
        self.answer(200, text.encode())

    def run(self, op, d, name, deldir, data):
        root = self.root()
        if op == "PutFile":
            if data is None or not name:
                return "XRXBADNAME"
            doc = not name.lower().endswith((".lck", ".xst"))
            if doc and "/xrxerror/" in self.path:
                return "XRXERROR"
            target = self.local(root, d, name)
            if target is None or not os.path.isdir(os.path.dirname(target)):
                return "XRXERROR"
            if doc and "/refuse-second/" in self.path:
                self.server.docs[self.path] = self.server.docs.get(self.path, 0) + 1
                if self.server.docs[self.path] == 2:
                    return "XRXERROR"
            with open(target, "wb") as f:
                f.write(data)
            if doc:
                out = self.server.outdir
                count = len([n for n in os.listdir(out) if n[:3].isdigit()]) + 1
                shutil.copyfile(target, os.path.join(out, "%03d-%s" % (count, name)))
                with open(os.path.join(out, "uploads.jsonl"), "a") as f:
                    f.write(json.dumps({"path": self.path, "dir": d, "name": name,
                                        "bytes": len(data)}) + "\n")
            return ""
        if op in ("GetFile", "DeleteFile"):
            if not name.lower().endswith(FILE_EXTS):
                return "XRXBADNAME"
            target = self.local(root, d, name)
            if target is None:
                return "XRXBADNAME"
            if not os.path.isfile(target):
                return "XRXNOTFOUND"
            if op == "DeleteFile":
                os.unlink(target)
                return ""
            with open(target) as f:
                return f.read()
        if op == "MakeDir":
            target = self.local(root, d) if d.strip("/") else None
            if target is None:
                return "XRXBADNAME"
            if os.path.exists(target):
                return "XRXDIREXISTS"
            try:
                os.mkdir(target)
            except OSError:
                return "XRXERROR"
            return ""
        if op in ("RemoveDir", "DeleteDirContents"):
            if not d.rstrip("/").lower().endswith(DIR_EXTS):
                return "XRXBADNAME"
            target = self.local(root, d)
            if target is None:
                return "XRXBADNAME"
            if not os.path.isdir(target):
                return "XRXBADNAME" if op == "RemoveDir" else "XRXNOTFOUND"
            if op == "RemoveDir":
                try:
                    os.rmdir(target)
                except OSError:
                    return "XRXERROR"
                return ""
            for entry in os.listdir(target):
                p = os.path.join(target, entry)
                shutil.rmtree(p) if os.path.isdir(p) else os.unlink(p)
            if deldir == "1":
                os.rmdir(target)
            return ""
        if op == "ListDir":
            target = self.local(root, d)
            if target is None or not os.path.isdir(target):
                return "XRXBADNAME"
            return "".join(n + ("/" if os.path.isdir(os.path.join(target, n)) else "") + "\n"
                           for n in sorted(os.listdir(target)))
        return "XRXERROR"


def main():
    port, cert, key, outdir = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    srv.outdir = outdir
    srv.docs = {}
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
