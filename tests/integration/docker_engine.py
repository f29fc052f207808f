"""Finding the Docker engine the suite uses, and how this process reaches the containers it starts.

The one case in which the live tests may skip is the complete absence of an engine: no DOCKER_HOST and no socket
at the default path, or a local socket nobody listens on (the engine is installed but not running). Everything
else (a socket this user may not open, an engine that answers slowly or not at all, a DOCKER_HOST over TCP or SSH
that does not answer) is a failure with its reason: CI and users must be able to tell "not tested" from "tested".

Nothing here depends on how fast the machine is: the decision rests on what the socket answers (missing file,
connection refused, permission denied), never on how quickly. Engine calls get a generous timeout
(SPLUNK_DOCKER_TIMEOUT, default 120 s) that only stops a hung engine from hanging the run.
"""

import errno
import os
import socket
from urllib.parse import urlsplit

import docker

DEFAULT_SOCKET = "/var/run/docker.sock"
DEFAULT_API_TIMEOUT = 120.0
# Every container and network the suite creates carries CONTAINER_LABEL; OWNER_LABEL says which run made it
# (host name and process id), so that a later run on the same host can remove what an interrupted one left.
CONTAINER_LABEL = "sa-ngrok-detection.integration"
OWNER_LABEL = CONTAINER_LABEL + ".owner"


class NoEngine(Exception):
    """No Docker engine at all: the live tests skip, saying so."""


class EngineProblem(Exception):
    """An engine is configured or answers but cannot be used: the live tests fail with this reason."""


def api_timeout(environ=os.environ):
    try:
        return float(environ.get("SPLUNK_DOCKER_TIMEOUT") or DEFAULT_API_TIMEOUT)
    except ValueError:
        raise EngineProblem("SPLUNK_DOCKER_TIMEOUT=%r is not a number of seconds" % environ.get("SPLUNK_DOCKER_TIMEOUT"))


def engine_url(environ=os.environ, default_socket=DEFAULT_SOCKET):
    """(where the Docker client looks, whether DOCKER_HOST named it)."""
    host = (environ.get("DOCKER_HOST") or "").strip()
    if host:
        return host, True
    try:
        # The docker CLI's current context (DOCKER_CONTEXT, or currentContext in ~/.docker/config.json), as the
        # docker SDK reads it; the built-in default context is the default socket.
        from docker.context import ContextAPI
        context_host = ContextAPI.kwargs_from_context(environment=environ).get("base_url")
    except Exception:  # an unreadable CLI configuration: fall back to the default socket
        context_host = None
    if context_host and context_host != "unix://" + DEFAULT_SOCKET:
        return context_host, True
    return "unix://" + default_socket, False


def _check_unix_socket(path, named_by):
    """Classifies a local socket by what connecting to it gives, not by how long it takes."""
    if not os.path.exists(path):
        raise NoEngine("no Docker engine: %s does not exist (%s)" % (path, named_by))
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(path)
    except OSError as error:
        if error.errno in (errno.ECONNREFUSED, errno.ENOENT):
            raise NoEngine("no Docker engine: nothing listens on %s (%s); start Docker" % (path, named_by))
        if error.errno in (errno.EACCES, errno.EPERM):
            raise EngineProblem("a Docker engine socket exists at %s but this user (uid %d) may not open it: %s. "
                                "Add the user to the socket's group (usually docker) or run with a user that may"
                                % (path, os.getuid(), error))
        raise EngineProblem("cannot connect to the Docker engine socket %s: %s" % (path, error))
    finally:
        probe.close()


def connect_engine(environ=os.environ, default_socket=DEFAULT_SOCKET):
    """A docker client for the engine, after a ping. Raises NoEngine when there is none, EngineProblem otherwise."""
    url, explicit = engine_url(environ, default_socket)
    named_by = ("DOCKER_HOST" if environ.get("DOCKER_HOST") else "the docker CLI's current context") if explicit else (
        "the default socket; DOCKER_HOST is unset")
    if url.startswith("unix://"):
        _check_unix_socket(url[len("unix://"):], named_by)
    timeout = api_timeout(environ)
    try:
        # from_env honours DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH; it asks the engine its API version.
        # An ssh:// engine is reached through the ssh client, as the docker CLI does (no paramiko needed).
        client = docker.DockerClient.from_env(timeout=timeout, environment=dict(environ, DOCKER_HOST=url),
                                              use_ssh_client=url.startswith("ssh://"))
        client.ping()
        return client
    except (docker.errors.DockerException, OSError) as error:
        raise EngineProblem("the Docker engine at %s (%s) did not answer a ping within %.0f s: %s"
                            % (url, named_by, timeout, error))


class Reach(object):
    """How this process reaches splunkd's port 8089 in a container the suite starts.

    published: the port is published by the engine and reached at host (publish_on is the host interface it is
    published on: loopback when the engine runs here). network: this process runs in a container of the same
    engine (for example a CI job sharing the engine's socket), so the Splunk containers join its network and are
    reached at their address there, without publishing anything.
    """

    def __init__(self, mode, host=None, publish_on="", network=None, why=""):
        self.mode, self.host, self.publish_on, self.network, self.why = mode, host, publish_on, network, why

    def __repr__(self):
        return "Reach(%s)" % ", ".join("%s=%r" % item for item in sorted(vars(self).items()) if item[1])


def own_container(client, hostname=None):
    """This process's container on the engine, or None: a container's host name is its id's first 12 digits unless
    set otherwise, so a container whose id or configured host name is ours is the one we run in."""
    hostname = hostname or socket.gethostname()
    try:
        container = client.containers.get(hostname)
    except (docker.errors.NotFound, docker.errors.APIError):
        return None
    config_hostname = (container.attrs.get("Config") or {}).get("Hostname", "")
    if container.id.startswith(hostname) or config_hostname == hostname:
        return container
    return None


def decide_reach(client, environ=os.environ, hostname=None):
    explicit = (environ.get("SPLUNK_DOCKER_ADDRESS") or "").strip()
    if explicit:
        return Reach("published", host=explicit, why="SPLUNK_DOCKER_ADDRESS")
    url, _ = engine_url(environ)
    scheme = urlsplit(url).scheme
    if scheme == "unix":
        mine = own_container(client, hostname)
        if mine is not None:
            if (mine.attrs.get("HostConfig") or {}).get("NetworkMode") == "host":
                return Reach("published", host="127.0.0.1", publish_on="127.0.0.1",
                             why="this process runs in container %s on the host's network" % mine.name)
            networks = sorted(((mine.attrs.get("NetworkSettings") or {}).get("Networks") or {}))
            if networks:
                return Reach("network", network=networks[0],
                             why="this process runs in container %s on network %s" % (mine.name, networks[0]))
        return Reach("published", host="127.0.0.1", publish_on="127.0.0.1", why="local engine")
    host = urlsplit(url).hostname
    if scheme in ("tcp", "http", "https", "ssh") and host:
        # Ports the remote engine publishes open on its host's interfaces; its loopback is not reachable from here.
        return Reach("published", host=host, why="remote engine %s" % url)
    raise EngineProblem("cannot tell where containers of the engine at %s are reached: set SPLUNK_DOCKER_ADDRESS "
                        "to the address that reaches ports it publishes" % url)


def owner_id(hostname=None, pid=None):
    return "%s:%d" % (hostname or socket.gethostname(), pid or os.getpid())


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_leftovers(client, say, hostname=None):
    """Removes the containers and networks that an interrupted run on this host left (their owner process is gone);
    names what other hosts' runs left without touching it (another run may be using it). Returns the names removed."""
    hostname = hostname or socket.gethostname()
    removed, foreign = [], []
    label_filter = {"label": [CONTAINER_LABEL]}
    for summary in client.api.containers(all=True, filters=label_filter):
        labels = summary.get("Labels") or {}
        name = (summary.get("Names") or [summary["Id"][:12]])[0].lstrip("/")
        owner_host, _, pid = labels.get(OWNER_LABEL, "").rpartition(":")
        if owner_host == hostname and pid.isdigit() and not _alive(int(pid)):
            client.api.remove_container(summary["Id"], force=True, v=True)
            removed.append(name)
        elif owner_host != hostname:
            foreign.append(name)
    for network in client.api.networks(filters=label_filter):
        labels = network.get("Labels") or {}
        owner_host, _, pid = labels.get(OWNER_LABEL, "").rpartition(":")
        if owner_host == hostname and pid.isdigit() and not _alive(int(pid)):
            client.api.remove_network(network["Id"])
            removed.append(network.get("Name", network["Id"][:12]))
    if removed:
        say("removed what an interrupted earlier run left: %s" % ", ".join(removed))
    if foreign:
        say("left alone (made by runs on other hosts, or by an older suite): %s; remove them with docker rm -f -v "
            "$(docker ps -aq --filter label=%s) once no run uses them" % (", ".join(foreign), CONTAINER_LABEL))
    return removed
