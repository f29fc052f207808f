"""Splunk Enterprise in Docker (the splunk/splunk image) for the integration suite.

Apps are copied into the container between create and start instead of being bind-mounted: the image provisions
itself with splunk-ansible, which chowns all of $SPLUNK_HOME to the image's splunk user. That fails on a read-only
mount (the container then stops) and would hand a writable mount on the host to that user. A copy also lets the
tests write lookups without touching build/, and works with a remote Docker engine.
"""

import io
import os
import posixpath
import tarfile
import time
from urllib.parse import urlsplit

import docker
from docker.utils import parse_repository_tag
from splunklib import binding

from splunk_search import connect

SPLUNK_HOME = "/opt/splunk"
APPS_DIR = SPLUNK_HOME + "/etc/apps"
DISPATCH_DIR = SPLUNK_HOME + "/var/run/splunk/dispatch"
# The image's splunk user and group (UID/GID 41812 in docker-splunk's Dockerfile).
SPLUNK_UID = 41812
# Accepting the Splunk General Terms is required from 10.0 and asked for by recent 9.4 images.
LICENSE_ACCEPTANCE = {
    "SPLUNK_START_ARGS": "--accept-license",
    "SPLUNK_GENERAL_TERMS": "--accept-sgt-current-at-splunk-com",
}
# docker-splunk's entrypoint prints this once splunk-ansible has finished: apps installed, restarts done.
PROVISIONED = b"Ansible playbook complete"
CONTAINER_LABEL = "sa-ngrok-detection.integration"
REPORT_EVERY = 15.0
# Bytecode a test run may have written next to the built package; Splunk never needs it.
_SKIPPED = ("__pycache__",)


class SplunkStartError(Exception):
    """The container stopped, or Splunk did not become ready in time."""


class Archive(object):
    """A tar archive built in memory for put_archive; every entry is owned by the image's splunk user."""

    def __init__(self):
        self._buffer = io.BytesIO()
        self._tar = tarfile.open(fileobj=self._buffer, mode="w")
        self._dirs = set()

    def _entry(self, name, kind, mode, size=0):
        info = tarfile.TarInfo(name)
        info.type, info.mode, info.size, info.mtime = kind, mode, size, int(time.time())
        info.uid = info.gid = SPLUNK_UID
        info.uname = info.gname = "splunk"
        return info

    def add_dir(self, name):
        if not name or name in self._dirs:
            return
        self.add_dir(posixpath.dirname(name))
        self._dirs.add(name)
        self._tar.addfile(self._entry(name, tarfile.DIRTYPE, 0o755))

    def add_bytes(self, name, data, mode=0o644):
        self.add_dir(posixpath.dirname(name))
        self._tar.addfile(self._entry(name, tarfile.REGTYPE, mode, len(data)), io.BytesIO(data))

    def add_tree(self, local_dir, name):
        self.add_dir(name)
        for directory, subdirs, files in os.walk(local_dir):
            subdirs[:] = sorted(d for d in subdirs if d not in _SKIPPED)
            relative = os.path.relpath(directory, local_dir)
            target = name if relative == "." else posixpath.join(name, *relative.split(os.sep))
            self.add_dir(target)
            for file_name in sorted(files):
                if file_name.endswith(".pyc"):
                    continue
                path = os.path.join(directory, file_name)
                with open(path, "rb") as handle:
                    self.add_bytes(posixpath.join(target, file_name), handle.read(), os.stat(path).st_mode & 0o777)

    def getvalue(self):
        self._tar.close()
        return self._buffer.getvalue()


def ensure_image(docker_client, image, platform, say):
    """Pulls the image unless it is present; returns None, or why it cannot be had."""
    try:
        docker_client.images.get(image)
        return None
    except docker.errors.ImageNotFound:
        pass
    except (docker.errors.DockerException, OSError) as error:
        return "cannot inspect the image %s (%s)" % (image, error)
    repository, tag = parse_repository_tag(image)
    say("pulling %s (about 1.5 GB, once per machine)" % image)
    layers, complete, next_report = set(), set(), time.monotonic() + REPORT_EVERY
    try:
        for event in docker_client.api.pull(repository, tag=tag or "latest", stream=True, decode=True,
                                            platform=platform):
            if "error" in event:
                return "cannot pull %s: %s" % (image, event["error"])
            if event.get("id") and "progressDetail" in event:
                layers.add(event["id"])
            if event.get("status") in ("Pull complete", "Already exists"):
                complete.add(event.get("id"))
            if time.monotonic() >= next_report:
                say("pulling %s: %d of %d layers complete" % (image, len(complete), len(layers)))
                next_report += REPORT_EVERY
    except (docker.errors.DockerException, OSError) as error:
        return "cannot pull %s: %s" % (image, error)
    return None


def reachable_host(docker_client):
    """Where ports published by this engine are reached from here: the engine's host, or this machine."""
    url = urlsplit(docker_client.api.base_url)
    return url.hostname if url.scheme in ("http", "https") and url.hostname else "127.0.0.1"


class SplunkContainer(object):
    """One splunk/splunk container: created with its files copied in, started, and removed at the end."""

    def __init__(self, docker_client, image, name, password, archives=(), hostname=None, network=None,
                 environment=None, platform=None):
        self.name = name
        self.password = password
        self.host = reachable_host(docker_client)
        env = dict(LICENSE_ACCEPTANCE, SPLUNK_PASSWORD=password)
        env.update(environment or {})
        # Published on the loopback interface unless the engine is remote (its loopback is not reachable here).
        publish_on = "127.0.0.1" if self.host == "127.0.0.1" else ""
        self.container = docker_client.containers.create(
            image, name=name, hostname=hostname or name, environment=env, network=network, platform=platform,
            ports={"8089/tcp": (publish_on, None)}, labels={CONTAINER_LABEL: "1"}, detach=True)
        try:
            for target_dir, data in archives:
                self.container.put_archive(target_dir, data)
            self.container.start()
            self.container.reload()
            self.port = int(self.container.ports["8089/tcp"][0]["HostPort"])
        except Exception:
            self.remove()
            raise

    def logs_tail(self, lines=60):
        return self.container.logs(tail=lines).decode("utf-8", "replace")

    def wait_until_ready(self, timeout, say):
        """Waits for provisioning to finish and splunkd to answer with no restart pending."""
        started = time.monotonic()
        next_report = started + REPORT_EVERY
        while True:
            self.container.reload()
            state = self.container.attrs["State"]
            if state["Status"] in ("exited", "dead"):
                raise SplunkStartError("%s stopped while starting (exit code %s); last log lines:\n%s"
                                       % (self.name, state.get("ExitCode"), self.logs_tail()))
            health = state.get("Health", {}).get("Status", "none")
            # The health check passes only once provisioning wrote its "started" state; the log line may come
            # first, as the check runs every 30 s.
            provisioned = health == "healthy" or PROVISIONED in self.container.logs()
            if provisioned:
                try:
                    if not connect(self.host, self.port, "admin", self.password).restart_required:
                        say("%s ready after %.0f s (https://%s:%d)" % (self.name, time.monotonic() - started,
                                                                      self.host, self.port))
                        return
                except (OSError, binding.HTTPError):
                    pass  # splunkd restarting or not listening yet
            elapsed = time.monotonic() - started
            if elapsed > timeout:
                raise SplunkStartError("%s not ready after %.0f s (health %s, provisioning %s); last log lines:\n%s"
                                       % (self.name, elapsed, health, "done" if provisioned else "running",
                                          self.logs_tail()))
            if time.monotonic() >= next_report:
                say("%s starting: %.0f s, container %s, health %s, provisioning %s"
                    % (self.name, elapsed, state["Status"], health, "done" if provisioned else "running"))
                next_report += REPORT_EVERY
            time.sleep(5)

    def read_file(self, path):
        """The bytes of one file in the container."""
        return self.read_tree(path)[posixpath.basename(path)]

    def read_tree(self, path):
        """Every regular file under path, as {path relative to path's parent: bytes}."""
        stream, _ = self.container.get_archive(path)
        with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as archive:
            return {member.name: archive.extractfile(member).read() for member in archive.getmembers()
                    if member.isfile()}

    def write_file(self, path, data):
        """Replaces one file, keeping the owner splunkd gave it."""
        result = self.container.exec_run(["stat", "-c", "%u:%g", path])
        uid, gid = (result.output.decode().strip().split(":") if result.exit_code == 0
                    else (SPLUNK_UID, SPLUNK_UID))
        info = tarfile.TarInfo(posixpath.basename(path))
        info.size, info.mode, info.mtime, info.uid, info.gid = len(data), 0o644, int(time.time()), int(uid), int(gid)
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as archive:
            archive.addfile(info, io.BytesIO(data))
        self.container.put_archive(posixpath.dirname(path), buffer.getvalue())

    def remove(self):
        # v=True: the image declares etc/ and var/ as volumes; remove them with the container.
        self.container.remove(force=True, v=True)

