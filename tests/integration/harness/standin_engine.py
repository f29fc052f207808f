"""A stand-in Docker engine for testing the integration suite's harness where no Docker engine exists.

It serves the Docker Engine API on a unix socket, the way the docker SDK talks to dockerd: the calls the suite
makes (ping, version, image inspect and pull, container create/archive/start/inspect/logs/remove, container and
network listing) answered as a scenario says, every request recorded for the test to check. Anything else is
answered 500, so an unexpected call shows up as a failure, not as a hang.
"""

import http.server
import json
import re
import socketserver
import struct
import threading
import time
from urllib.parse import parse_qs, urlsplit

API_VERSION = "1.45"


class Scenario(object):
    """What the stand-in answers. pull: "ok", "rate_limited" (an error inside the pull stream, as Docker Hub's rate
    limit gives), or "not_found" (404 before any stream, as a wrong tag gives)."""

    def __init__(self, ping_delay=0.0, image_present=False, pull="rate_limited", container_logs="",
                 exit_code=1, listed_containers=(), listed_networks=(), inspectable=None, running=False):
        self.ping_delay = ping_delay
        self.image_present = image_present
        self.pull = pull
        self.container_logs = container_logs
        self.exit_code = exit_code
        self.listed_containers = list(listed_containers)
        self.listed_networks = list(listed_networks)
        self.inspectable = dict(inspectable or {})  # id or name -> attrs served by GET /containers/<id>/json
        self.running = running  # started containers keep running (with 8089 published on port 1), or exit at once


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def address_string(self):
        return "stand-in"

    def log_message(self, *args):
        pass

    def _dispatch(self):
        self.server.engine.handle(self)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _dispatch


class StandInEngine(object):
    def __init__(self, socket_path, scenario):
        self.socket_path = socket_path
        self.scenario = scenario
        self.requests = []  # (method, path without the API version, query dict, body bytes)
        self.created = {}  # container id -> the create request's JSON
        self._server = _Server(socket_path, _Handler)
        self._server.engine = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    def paths(self, method=None):
        return [path for verb, path, _, _ in self.requests if method in (None, verb)]

    # replies

    def _send(self, handler, status, payload=None, content_type="application/json"):
        body = b"" if payload is None else (payload if isinstance(payload, bytes) else json.dumps(payload).encode())
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Api-Version", API_VERSION)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(body)

    def _send_chunked(self, handler, parts):
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        for part in parts:
            data = json.dumps(part).encode() + b"\r\n"
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        handler.wfile.write(b"0\r\n\r\n")

    def _attrs(self, container_id):
        config = self.created[container_id]
        if self.scenario.running:
            state = {"Status": "running", "Running": True, "ExitCode": 0, "Error": ""}
            ports = {"8089/tcp": [{"HostIp": "127.0.0.1", "HostPort": "1"}]}
        else:
            state = {"Status": "exited", "Running": False, "ExitCode": self.scenario.exit_code, "Error": ""}
            ports = {}
        return {
            "Id": container_id, "Name": "/" + config["_name"], "Image": config.get("Image"),
            "State": state,
            "Config": {"Tty": False, "Hostname": config.get("Hostname"), "Labels": config.get("Labels") or {},
                       "Env": config.get("Env") or []},
            "HostConfig": config.get("HostConfig") or {},
            "NetworkSettings": {"Ports": ports, "Networks": {}},
        }

    def handle(self, handler):
        url = urlsplit(handler.path)
        path = re.sub(r"^/v\d+\.\d+", "", url.path)
        query = parse_qs(url.query)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        self.requests.append((handler.command, path, query, body))
        method = handler.command
        scenario = self.scenario

        if path == "/_ping":
            time.sleep(scenario.ping_delay)
            return self._send(handler, 200, b"OK", "text/plain")
        if path == "/version":
            return self._send(handler, 200, {"ApiVersion": API_VERSION, "MinAPIVersion": "1.24",
                                             "Version": "stand-in", "Os": "linux", "Arch": "amd64"})
        if path == "/containers/json" and method == "GET":
            return self._send(handler, 200, scenario.listed_containers)
        if path == "/networks" and method == "GET":
            return self._send(handler, 200, scenario.listed_networks)
        match = re.match(r"^/images/(.+)/json$", path)
        if match and method == "GET":
            if scenario.image_present:
                return self._send(handler, 200, {"Id": "sha256:" + "0" * 64, "RepoTags": [match.group(1)]})
            return self._send(handler, 404, {"message": "No such image: %s" % match.group(1)})
        if path == "/images/create" and method == "POST":
            image = "%s:%s" % (query.get("fromImage", [""])[0], query.get("tag", [""])[0])
            if scenario.pull == "not_found":
                return self._send(handler, 404, {"message": "manifest for %s not found: manifest unknown" % image})
            if scenario.pull == "rate_limited":
                return self._send_chunked(handler, [
                    {"status": "Pulling from %s" % query.get("fromImage", [""])[0], "id": query.get("tag", [""])[0]},
                    {"errorDetail": {"message": "toomanyrequests: You have reached your pull rate limit."},
                     "error": "toomanyrequests: You have reached your pull rate limit."}])
            return self._send_chunked(handler, [{"status": "Status: Downloaded newer image for %s" % image}])
        if path == "/containers/create" and method == "POST":
            config = json.loads(body or b"{}")
            container_id = "%064x" % (len(self.created) + 1)
            config["_name"] = query.get("name", [container_id[:12]])[0]
            self.created[container_id] = config
            return self._send(handler, 201, {"Id": container_id, "Warnings": []})
        match = re.match(r"^/containers/([^/]+)(/.*)?$", path)
        if match:
            reference, action = match.group(1), match.group(2) or ""
            container_id = next((cid for cid, config in self.created.items()
                                 if cid.startswith(reference) or config["_name"] == reference), None)
            if container_id is None:
                if action == "/json" and reference in scenario.inspectable:
                    return self._send(handler, 200, scenario.inspectable[reference])
                if method == "DELETE":
                    return self._send(handler, 204)  # a listed leftover being removed
                return self._send(handler, 404, {"message": "No such container: %s" % reference})
            if action == "/json":
                return self._send(handler, 200, self._attrs(container_id))
            if action == "/archive" and method == "PUT":
                return self._send(handler, 200)
            if action == "/start" and method == "POST":
                return self._send(handler, 204)
            if action == "/logs":
                data = scenario.container_logs.encode()
                return self._send(handler, 200, struct.pack(">BxxxL", 1, len(data)) + data,
                                  "application/vnd.docker.multiplexed-stream")
            if action == "" and method == "DELETE":
                return self._send(handler, 204)
        if re.match(r"^/networks/[^/]+$", path) and method == "DELETE":
            return self._send(handler, 204)
        return self._send(handler, 500, {"message": "stand-in engine: unexpected %s %s" % (method, path)})
