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

import docker
from docker.utils import parse_repository_tag
from splunklib import binding

from docker_engine import CONTAINER_LABEL, OWNER_LABEL, Reach, owner_id
from splunk_search import connect

SPLUNK_HOME = "/opt/splunk"
APPS_DIR = SPLUNK_HOME + "/etc/apps"
DISPATCH_DIR = SPLUNK_HOME + "/var/run/splunk/dispatch"
# The admin's allowlist: written from Splunk Web (outputlookup to the ngrok_allowlist definition), never shipped.
ALLOWLIST_FILE = "lookups/ngrok_allowlist.csv"
# The image's splunk user and group (UID/GID 41812 in docker-splunk's Dockerfile).
SPLUNK_UID = 41812
# Accepting the Splunk General Terms is required from 10.0 and asked for by recent 9.4 images.
LICENSE_ACCEPTANCE = {
    "SPLUNK_START_ARGS": "--accept-license",
    "SPLUNK_GENERAL_TERMS": "--accept-sgt-current-at-splunk-com",
}
# docker-splunk's entrypoint prints this once splunk-ansible has finished: apps installed, restarts done.
PROVISIONED = b"Ansible playbook complete"
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


class SplunkContainer(object):
    """One splunk/splunk container: created with its files copied in, started, and removed at the end.

    reach (docker_engine.Reach) says how this process gets to its port 8089: published on a host port, or at the
    container's address on a network this process shares. The address is known only once the container runs, so
    it is looked up while waiting for readiness, and a container that stops first is reported with its logs.
    """

    def __init__(self, docker_client, image, name, password, archives=(), hostname=None, network=None,
                 environment=None, platform=None, reach=None, owner=None):
        self.name = name
        self.password = password
        self.reach = reach or Reach("published", host="127.0.0.1", publish_on="127.0.0.1")
        self.host, self.port = None, None
        env = dict(LICENSE_ACCEPTANCE, SPLUNK_PASSWORD=password)
        env.update(environment or {})
        labels = {CONTAINER_LABEL: "1", OWNER_LABEL: owner or owner_id()}
        ports = {"8089/tcp": (self.reach.publish_on, None)} if self.reach.mode == "published" else None
        self.container = docker_client.containers.create(
            image, name=name, hostname=hostname or name, environment=env,
            network=network or self.reach.network, platform=platform, ports=ports, labels=labels, detach=True)
        try:
            if self.reach.mode == "network" and network and network != self.reach.network:
                docker_client.networks.get(self.reach.network).connect(self.container)
            for target_dir, data in archives:
                self.container.put_archive(target_dir, data)
            self.container.start()
        except BaseException:  # an interrupt (Ctrl-C, SIGTERM) included: the caller has no handle to remove it by
            self.remove()
            raise

    def _address(self, attrs):
        """(host, port) of splunkd as this process reaches it, or None while the engine has not assigned it."""
        settings = attrs.get("NetworkSettings") or {}
        if self.reach.mode == "network":
            address = ((settings.get("Networks") or {}).get(self.reach.network) or {}).get("IPAddress")
            return (address, 8089) if address else None
        bindings = (settings.get("Ports") or {}).get("8089/tcp") or []
        return (self.reach.host, int(bindings[0]["HostPort"])) if bindings else None

    def logs_tail(self, lines=80):
        try:
            return self.container.logs(tail=lines).decode("utf-8", "replace")
        except (docker.errors.DockerException, OSError) as error:
            return "(the container's logs could not be read: %s)" % error

    def wait_until_ready(self, timeout, say):
        """Waits for provisioning to finish and splunkd to answer with no restart pending; raises SplunkStartError
        with the container's last log lines when it stops first or is not ready within timeout seconds."""
        started = time.monotonic()
        next_report = started + REPORT_EVERY
        while True:
            self.container.reload()
            attrs = self.container.attrs
            state = attrs.get("State") or {}
            status = state.get("Status", "unknown")
            if status in ("exited", "dead") or (status != "created" and not state.get("Running", True)):
                raise SplunkStartError("%s stopped while starting (status %s, exit code %s%s); last log lines:\n%s"
                                       % (self.name, status, state.get("ExitCode"),
                                          ", " + state["Error"] if state.get("Error") else "", self.logs_tail()))
            address = self._address(attrs)
            health = (state.get("Health") or {}).get("Status", "none")
            # The health check passes only once provisioning wrote its "started" state; the log line may come
            # first, as the check runs every 30 s.
            provisioned = health == "healthy" or PROVISIONED in self.container.logs()
            if provisioned and address:
                try:
                    if not connect(address[0], address[1], "admin", self.password).restart_required:
                        self.host, self.port = address
                        say("%s ready after %.0f s (https://%s:%d)" % (self.name, time.monotonic() - started,
                                                                      self.host, self.port))
                        return
                except (OSError, binding.HTTPError):
                    pass  # splunkd restarting or not listening yet
            elapsed = time.monotonic() - started
            if elapsed > timeout:
                raise SplunkStartError("%s not ready after %.0f s (SPLUNK_START_TIMEOUT; container %s, health %s, "
                                       "provisioning %s, splunkd address %s); last log lines:\n%s"
                                       % (self.name, elapsed, status, health, "done" if provisioned else "running",
                                          "%s:%s" % address if address else "not assigned", self.logs_tail()))
            if time.monotonic() >= next_report:
                say("%s starting: %.0f s, container %s, health %s, provisioning %s"
                    % (self.name, elapsed, status, health, "done" if provisioned else "running"))
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
        try:
            self.container.remove(force=True, v=True)
        except docker.errors.NotFound:
            pass


def admin_allowlist(container, app_id="SA-ngrok-detection"):
    """(path in the container, its bytes or None when absent) of the admin's allowlist file, which exists once an
    entry was written."""
    path = "%s/%s/%s" % (APPS_DIR, app_id, ALLOWLIST_FILE)
    try:
        return path, container.read_file(path)
    except docker.errors.NotFound:
        return path, None


def restore_file(container, path, original):
    """Puts a file back as it was: the same bytes, or absent."""
    if original is None:
        result = container.container.exec_run(["rm", "-f", path])
        assert result.exit_code == 0, result.output
    else:
        container.write_file(path, original)
