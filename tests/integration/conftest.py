"""The integration suite: the built app in a real Splunk, driven through splunklib.

The mode is decided once per session (splunk_env):

- external: SPLUNK_HOST is set. The tests use SPLUNK_HOST, SPLUNK_PORT (8089), SPLUNK_USER (admin) and
  SPLUNK_PASSWORD; the app must already be installed there, as built.
- Docker: a Docker engine answers a ping within 2 s. The suite starts splunk/splunk (SPLUNK_IMAGE) with the built app
  copied in and removes it at the end, unless SPLUNK_KEEP=1.
- neither: every test here skips with one reason, before anything is pulled or started.
"""

import os
import secrets
import sys
import time

import docker
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILT_APP = os.path.join(ROOT, "build", "SA-ngrok-detection")
HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES_APP = os.path.join(HERE, "fixtures", "it_ngrok_fixtures")
RECORDER = os.path.join(HERE, "record_protocol.py")

# splunklib is not a dev dependency: use the copy vendored in the built app, the one the app itself runs with.
sys.path.insert(0, os.path.join(BUILT_APP, "bin", "lib"))

from splunklib import binding  # noqa: E402

from splunk_docker import (APPS_DIR, CONTAINER_LABEL, SPLUNK_HOME, Archive, SplunkContainer,  # noqa: E402
                           SplunkStartError, ensure_image)
from splunk_search import APP_ID, SplunkTarget, rest_entries, rows_spl, run_search  # noqa: E402

DEFAULT_IMAGE = "splunk/splunk:9.4.3"
ALLOWLIST_FILE = "lookups/ngrok_allowlist.csv"
ALLOWLIST_COLUMNS = ("dest", "user", "parent_process_name", "process", "reason", "owner", "expires")
NO_CIM = ("no CIM Endpoint data model on this Splunk: set SPLUNK_CIM_PACKAGE to the Splunk Common Information Model "
          "app package (.tgz or .spl from Splunkbase) in Docker mode, or install that app on the external Splunk")
NO_DOCKER = ("no Docker engine reachable (docker.from_env() failed: %s); start Docker, or set SPLUNK_HOST "
             "(with SPLUNK_PASSWORD, and SPLUNK_PORT/SPLUNK_USER if not 8089/admin) to use an existing Splunk")


# Why there is no Splunk to test against (no Docker engine, no image): every test skips for it.
_environment_skips = set()


def pytest_configure(config):
    config.addinivalue_line("markers", "splunk: needs a real Splunk (Docker, or SPLUNK_HOST); skipped without one")


def skip_environment(reason):
    _environment_skips.add("Skipped: " + reason)
    pytest.skip(reason)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Reports the no-Splunk skip at the one place that decides it, so that pytest -rs prints one line for the
    whole suite instead of one per test."""
    report = yield
    if report.skipped and isinstance(report.longrepr, tuple) and report.longrepr[2] in _environment_skips:
        report.longrepr = (__file__, skip_environment.__code__.co_firstlineno, report.longrepr[2])
    return report


def reporter(config):
    """Prints progress to the terminal while pytest captures test output."""
    terminal = config.pluginmanager.get_plugin("terminalreporter")

    def say(text):
        line = "[splunk] " + text
        if terminal is not None:
            terminal.write_line(line)
        else:
            sys.__stderr__.write(line + "\n")
            sys.__stderr__.flush()

    return say


class SplunkEnvironment(object):
    def __init__(self, external, docker_client=None):
        self.external = external
        self.docker = docker_client


@pytest.fixture(scope="session")
def splunk_env():
    """External when SPLUNK_HOST is set, else Docker if an engine answers quickly, else skip everything."""
    if os.environ.get("SPLUNK_HOST"):
        return SplunkEnvironment(external=True)
    try:
        probe = docker.from_env(timeout=2)
        probe.ping()
    except (docker.errors.DockerException, OSError) as error:
        skip_environment(NO_DOCKER % error)
    probe.close()
    # Pulls and container start-up take minutes: the working client gets a generous timeout.
    return SplunkEnvironment(external=False, docker_client=docker.from_env(timeout=600))


@pytest.fixture(scope="session")
def splunk_image(splunk_env, pytestconfig):
    image = os.environ.get("SPLUNK_IMAGE", DEFAULT_IMAGE)
    problem = ensure_image(splunk_env.docker, image, os.environ.get("SPLUNK_PLATFORM"), reporter(pytestconfig))
    if problem:
        skip_environment(problem)
    return image


def _password():
    return os.environ.get("SPLUNK_PASSWORD") or "It-" + secrets.token_urlsafe(12)


def _create(splunk_env, image, name, password, archives, say, **options):
    say("starting %s from %s" % (name, image))
    return SplunkContainer(splunk_env.docker, image, name, password, archives,
                           platform=os.environ.get("SPLUNK_PLATFORM"), **options)


def _wait_until_ready(containers, say):
    try:
        for container in containers:
            container.wait_until_ready(float(os.environ.get("SPLUNK_START_TIMEOUT", "300")), say)
        return
    except SplunkStartError as error:
        problem = str(error)
    pytest.fail(problem, pytrace=False)  # outside the except block: the message and the logs say it all


def _release(containers, say, network=None):
    if os.environ.get("SPLUNK_KEEP") == "1":
        for container in containers:
            say("SPLUNK_KEEP=1: %s left running at https://%s:%d (admin / %s); remove it with docker rm -f -v %s"
                % (container.name, container.host, container.port, container.password, container.name))
        if network is not None:
            say("SPLUNK_KEEP=1: network %s left in place (docker network rm %s)" % (network.name, network.name))
        return
    for container in containers:
        container.remove()
    if network is not None:
        network.remove()


def _apps_archive(with_app=True, recording=False):
    """etc/apps content: the built app (optionally with the protocol recorder as its ngrokscore script) and the
    test-only fixtures app (eventtype and tags that map the test events to CIM Endpoint.Processes)."""
    archive = Archive()
    if with_app:
        archive.add_tree(BUILT_APP, "apps/" + APP_ID)
        if recording:
            with open(RECORDER, "rb") as handle:
                archive.add_bytes("apps/%s/bin/record_ngrokscore.py" % APP_ID, handle.read())
            archive.add_bytes("apps/%s/local/commands.conf" % APP_ID,
                              b"[ngrokscore]\nfilename = record_ngrokscore.py\n")
    archive.add_tree(FIXTURES_APP, "apps/it_ngrok_fixtures")
    return archive.getvalue()


def _external_target():
    host = os.environ["SPLUNK_HOST"]
    password = os.environ.get("SPLUNK_PASSWORD")
    if not password:
        pytest.fail("SPLUNK_HOST=%s is set but SPLUNK_PASSWORD is not" % host, pytrace=False)
    target = SplunkTarget(host, int(os.environ.get("SPLUNK_PORT", "8089")), os.environ.get("SPLUNK_USER", "admin"),
                          password)
    try:
        target.connect()
        return target
    except (OSError, binding.HTTPError) as error:
        problem = "cannot log in to %s as %s: %s" % (target, target.username, error)
    pytest.fail(problem, pytrace=False)  # outside the except block: the message alone says it all


@pytest.fixture(scope="session")
def splunk(splunk_env, pytestconfig, request):
    """The standalone Splunk under test: the external one, or a container started for this session."""
    if splunk_env.external:
        yield _external_target()
        return
    image = request.getfixturevalue("splunk_image")
    say = reporter(pytestconfig)
    recording = os.environ.get("SPLUNK_RECORD") == "1"
    archives = [(SPLUNK_HOME + "/etc", _apps_archive(recording=recording))]
    environment = {}
    cim_package = os.environ.get("SPLUNK_CIM_PACKAGE")
    if cim_package:
        if not os.path.isfile(cim_package):
            pytest.fail("SPLUNK_CIM_PACKAGE=%s is not a file" % cim_package, pytrace=False)
        package = Archive()
        with open(cim_package, "rb") as handle:
            package.add_bytes("it-apps/" + os.path.basename(cim_package), handle.read())
        archives.append(("/tmp", package.getvalue()))
        # splunk-ansible installs the apps listed here (URLs or paths in the container) while provisioning.
        environment["SPLUNK_APPS_URL"] = "/tmp/it-apps/" + os.path.basename(cim_package)
    container = _create(splunk_env, image, "sa-ngrok-it-" + secrets.token_hex(3), _password(), archives, say,
                        environment=environment)
    try:
        _wait_until_ready([container], say)
        yield SplunkTarget(container.host, container.port, "admin", container.password, container, image, recording)
    finally:
        _release([container], say)


@pytest.fixture(scope="session")
def service(splunk):
    """splunklib Service in the app's namespace (its macros, views and saved searches are visible there only)."""
    return splunk.connect(app=APP_ID)


@pytest.fixture(scope="session")
def admin(splunk):
    """splunklib Service in the default namespace, for instance-wide REST (indexes, messages, receivers)."""
    return splunk.connect()


@pytest.fixture(scope="session")
def endpoint_datamodel(splunk, admin):
    """Skips unless the CIM app's Endpoint data model exists; fails if the CIM package given did not install."""
    try:
        admin.get("datamodel/model/Endpoint")
    except binding.HTTPError as error:
        if error.status != 404:
            raise
        if splunk.container is not None and os.environ.get("SPLUNK_CIM_PACKAGE"):
            pytest.fail("SPLUNK_CIM_PACKAGE was installed but there is no Endpoint data model; see docker logs %s"
                        % splunk.container.name, pytrace=False)
        pytest.skip(NO_CIM)


@pytest.fixture(scope="session")
def run_id():
    """Marks this session's test data (host names, events) apart from any earlier run's."""
    return secrets.token_hex(4)


@pytest.fixture(scope="module")
def allowlist_entry(splunk, service, run_id):
    """An entry written into the shipped ngrok_allowlist.csv with outputlookup, in the app's context; the shipped
    file is put back byte for byte afterwards."""
    if splunk.container is None:
        pytest.skip("writing ngrok_allowlist.csv needs Docker mode: the suite puts the shipped file back inside its "
                    "own container, which it cannot do on an external Splunk")
    path = "%s/%s/%s" % (APPS_DIR, APP_ID, ALLOWLIST_FILE)
    original = splunk.container.read_file(path)
    entry = {"dest": "it-allow-" + run_id, "user": "it-user", "parent_process_name": "bash",
             "process": "ngrok http 3000*", "reason": "integration test " + run_id, "owner": "it@example.com",
             "expires": "2099-12-31"}
    outcome = run_search(service, rows_spl([entry]) + " | table %s | outputlookup %s"
                         % (" ".join(ALLOWLIST_COLUMNS), os.path.basename(ALLOWLIST_FILE)))
    try:
        assert not outcome.errors, outcome
        yield entry
    finally:
        splunk.container.write_file(path, original)
        assert splunk.container.read_file(path) == original, "the shipped allowlist was not restored"


class Cluster(object):
    def __init__(self, search_head, indexers):
        self.search_head, self.indexers = search_head, indexers


@pytest.fixture(scope="session")
def cluster(splunk_env, pytestconfig, request):
    """A search head with the app and two indexers without it, on a user-defined Docker network; the indexers are
    added as search peers through the search head's REST API."""
    if splunk_env.external:
        pytest.skip("the distributed topology starts its own containers: it needs Docker mode (unset SPLUNK_HOST)")
    if os.environ.get("SPLUNK_DISTRIBUTED") != "1":
        pytest.skip("distributed topology not requested: set SPLUNK_DISTRIBUTED=1 (starts three more Splunk "
                    "containers, about 6 GB of memory)")
    image = request.getfixturevalue("splunk_image")
    say = reporter(pytestconfig)
    prefix = "sa-ngrok-it-" + secrets.token_hex(3)
    password = _password()
    network = splunk_env.docker.networks.create(prefix, driver="bridge", labels={CONTAINER_LABEL: "1"})
    containers = []
    try:
        for role, archive in (("sh", _apps_archive()), ("idx1", _apps_archive(with_app=False)),
                              ("idx2", _apps_archive(with_app=False))):
            containers.append(_create(splunk_env, image, "%s-%s" % (prefix, role), password,
                                      [(SPLUNK_HOME + "/etc", archive)], say, network=network.name))
        # Created one after the other, they provision in parallel: waiting for each in turn costs no more.
        _wait_until_ready(containers, say)
        search_head, *indexers = [SplunkTarget(c.host, c.port, "admin", password, c, image) for c in containers]
        _add_search_peers(search_head, indexers, password, say)
        yield Cluster(search_head, indexers)
    finally:
        _release(containers, say, network)


def _add_search_peers(search_head, indexers, password, say, timeout=300.0):
    admin = search_head.connect()
    for indexer in indexers:
        # The peer's management URI as the search head reaches it: its container name on the shared network.
        admin.post("search/distributed/peers", name="%s:8089" % indexer.container.name,
                   remoteUsername="admin", remotePassword=password)
    # Up is enough here: the knowledge bundle replicates in the background, and the tests retry their first search
    # until both peers answer it.
    started = time.monotonic()
    next_report = started + 15
    while True:
        peers = {name: (content.get("status"), content.get("replicationStatus"))
                 for name, content in rest_entries(admin, "search/distributed/peers")}
        if len(peers) == len(indexers) and all(status == "Up" for status, _ in peers.values()):
            say("search peers up (status, bundle replication): %s" % peers)
            return
        if time.monotonic() - started > timeout:
            pytest.fail("search peers not up after %.0f s (status, bundle replication): %s" % (timeout, peers),
                        pytrace=False)
        if time.monotonic() >= next_report:
            say("waiting for search peers: %s" % peers)
            next_report += 15
        time.sleep(5)
