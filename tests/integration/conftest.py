"""The integration suite: the built app in a real Splunk, driven through splunklib.

The mode is decided once per session (splunk_env):

- external: SPLUNK_HOST is set. The tests use SPLUNK_HOST, SPLUNK_PORT (8089), SPLUNK_USER (admin) and
  SPLUNK_PASSWORD; the app (and tests/integration/fixtures) must already be installed there, as built.
- Docker: a Docker engine is configured (DOCKER_HOST, the docker CLI's context, or the default socket). The suite
  starts splunk/splunk (SPLUNK_IMAGE) with the built app copied in and removes it at the end, unless SPLUNK_KEEP=1.
  From here on anything that keeps Splunk from running (a socket this user may not open, an engine that does not
  answer, an image that cannot be pulled, a container that stops or never gets ready) FAILS every live test with
  the reason, and the container's logs when one started: only a missing engine may skip.
- no engine at all: every live test skips with one reason, before anything is pulled or started, unless
  SPLUNK_REQUIRED=1 (for CI jobs that must test), which makes it a failure too.
"""

import os
import random
import secrets
import signal
import sys
import time

import docker
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILT_APP = os.path.join(ROOT, "build", "SA-ngrok-detection")
HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES_DIR = os.path.join(HERE, "fixtures")
RECORDER = os.path.join(HERE, "record_protocol.py")

# splunklib is not a dev dependency: use the copy vendored in the built app, the one the app itself runs with
# (bin/lib, where the knowledge bundle carries it to indexers).
sys.path.insert(0, os.path.join(BUILT_APP, "bin", "lib"))

from splunklib import binding  # noqa: E402

import docker_engine  # noqa: E402
from splunk_docker import (SPLUNK_HOME, Archive, SplunkContainer, SplunkStartError, admin_allowlist,  # noqa: E402
                           ensure_image, restore_file)
from protocol_transcripts import RECORDED_COMMAND  # noqa: E402
from splunk_search import APP_ID, SplunkTarget, rest_entries, rows_spl, run_search  # noqa: E402

DEFAULT_IMAGE = "splunk/splunk:9.4.3"
# Per container, from creation to a splunkd that answers with no restart pending. Provisioning takes 2 to 4 minutes
# natively, more with the CIM app to install, and several times that under emulation (SPLUNK_PLATFORM).
START_TIMEOUT, EMULATED_START_TIMEOUT = 900, 2700
ALLOWLIST_COLUMNS = ("dest", "user", "parent_process_name", "process", "reason", "owner", "expires")
# Test-only apps: it_ngrok_fixtures maps the suite's events to Endpoint.Processes (eventtype, tags, props);
# it_ngrok_endpoint is a minimal Endpoint data model, installed unless the real CIM app is (SPLUNK_CIM_PACKAGE).
FIXTURE_APP, ENDPOINT_APP, CIM_APP = "it_ngrok_fixtures", "it_ngrok_endpoint", "Splunk_SA_CIM"
NO_ENGINE = ("%s. Nothing was tested: start Docker, or set SPLUNK_HOST (with SPLUNK_PASSWORD, and "
             "SPLUNK_PORT/SPLUNK_USER if not 8089/admin) to use an existing Splunk")


# Why there is no Splunk to test against (skips), and why the Splunk could not be had (failures): each is reported in
# full once, at the place that decides it, instead of once per test.
_environment_skips = set()
_environment_failures = {}


def pytest_configure(config):
    config.addinivalue_line("markers", "splunk: needs a real Splunk (Docker, or SPLUNK_HOST); skipped without one")


def skip_environment(reason):
    _environment_skips.add("Skipped: " + reason)
    pytest.skip(reason)


def fail_environment(reason):
    """Fails the test that first needs the Splunk, and through the cached fixture every later one, with reason."""
    _environment_failures.setdefault(reason, None)
    pytest.fail(reason, pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """pytest -rs prints one line for the whole suite's no-Splunk skip; a failure to get a Splunk is shown in full on
    the first test that needed it and referred to on the others."""
    report = yield
    if report.skipped and isinstance(report.longrepr, tuple) and report.longrepr[2] in _environment_skips:
        report.longrepr = (__file__, skip_environment.__code__.co_firstlineno, report.longrepr[2])
    elif report.failed and call.excinfo is not None:
        reason = str(call.excinfo.value)
        if reason in _environment_failures:
            first = _environment_failures[reason]
            if first is None:
                _environment_failures[reason] = item.nodeid
            else:
                report.longrepr = "no Splunk to test against: the same failure as %s" % first
    return report


def pytest_collection_modifyitems(session, config, items):
    """Live tests run in an order of SPLUNK_TEST_ORDER's choosing (reverse, or random[:seed]) to show that none
    depends on another; the distributed topology always comes last, as it replaces the standalone Splunk."""
    live = [item for item in items if item.get_closest_marker("splunk")]
    if not live:
        return
    order = os.environ.get("SPLUNK_TEST_ORDER", "")
    if order == "reverse":
        live.reverse()
    elif order.startswith("random"):
        seed = order.partition(":")[2] or str(random.randrange(1 << 30))
        random.Random(seed).shuffle(live)
        config.pluginmanager.get_plugin("terminalreporter").write_line(
            "[splunk] live tests in random order, seed %s (SPLUNK_TEST_ORDER=random:%s repeats it)" % (seed, seed))
    elif order:
        raise pytest.UsageError("SPLUNK_TEST_ORDER=%s: use reverse, random or random:<seed>" % order)
    live.sort(key=lambda item: "cluster" in item.fixturenames)  # stable: keeps the chosen order otherwise
    others = [item for item in items if not item.get_closest_marker("splunk")]
    items[:] = others + live


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


def _stop_on_sigterm():
    """A CI job cancelled with SIGTERM tears the containers down like Ctrl-C does (pytest runs the finalizers on
    KeyboardInterrupt); what SIGKILL leaves is removed by the next run on this host (docker_engine.remove_leftovers)."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt("SIGTERM")

    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, interrupt)


class SplunkEnvironment(object):
    def __init__(self, external, docker_client=None, reach=None):
        self.external = external
        self.docker = docker_client
        self.reach = reach


@pytest.fixture(scope="session")
def splunk_env(pytestconfig):
    """External when SPLUNK_HOST is set, else Docker when an engine is configured; skips only without any engine."""
    if os.environ.get("SPLUNK_HOST"):
        return SplunkEnvironment(external=True)
    say = reporter(pytestconfig)
    try:
        client = docker_engine.connect_engine()
        reach = docker_engine.decide_reach(client)
        docker_engine.remove_leftovers(client, say)
    except docker_engine.NoEngine as absent:
        if os.environ.get("SPLUNK_REQUIRED") == "1":
            fail_environment("SPLUNK_REQUIRED=1 but " + NO_ENGINE % absent)
        skip_environment(NO_ENGINE % absent)
    except docker_engine.EngineProblem as problem:
        fail_environment(str(problem))
    except (docker.errors.DockerException, OSError) as error:
        fail_environment("the Docker engine answered a ping but then failed: %s" % error)
    say("Docker engine at %s; splunkd reached %s (%s)" % (
        docker_engine.engine_url()[0], "at %s" % reach.host if reach.mode == "published" else "on network "
        + reach.network, reach.why))
    _stop_on_sigterm()
    return SplunkEnvironment(external=False, docker_client=client, reach=reach)


@pytest.fixture(scope="session")
def splunk_image(splunk_env, pytestconfig):
    image = os.environ.get("SPLUNK_IMAGE", DEFAULT_IMAGE)
    problem = ensure_image(splunk_env.docker, image, os.environ.get("SPLUNK_PLATFORM"), reporter(pytestconfig))
    if problem:
        fail_environment(problem)
    return image


def _password():
    return os.environ.get("SPLUNK_PASSWORD") or "It-" + secrets.token_urlsafe(12)


def start_timeout():
    configured = os.environ.get("SPLUNK_START_TIMEOUT")
    if configured:
        return float(configured)
    return EMULATED_START_TIMEOUT if os.environ.get("SPLUNK_PLATFORM") else START_TIMEOUT


def _create(splunk_env, image, name, password, archives, say, **options):
    say("starting %s from %s" % (name, image))
    try:
        return SplunkContainer(splunk_env.docker, image, name, password, archives, reach=splunk_env.reach,
                               platform=os.environ.get("SPLUNK_PLATFORM"), **options)
    except (docker.errors.DockerException, OSError) as error:
        problem = "cannot create or start the container %s from %s: %s" % (name, image, error)
    fail_environment(problem)  # outside the except block: the message says it all


def _wait_until_ready(containers, say):
    try:
        for container in containers:
            container.wait_until_ready(start_timeout(), say)
        return
    except SplunkStartError as error:
        problem = str(error)
    except (docker.errors.DockerException, OSError) as error:
        problem = "lost the container while waiting for Splunk to start: %s" % error
    fail_environment(problem)  # outside the except block: the message and the logs say it all


def _release(containers, say, network=None):
    if os.environ.get("SPLUNK_KEEP") == "1":
        for container in containers:
            say("SPLUNK_KEEP=1: %s left running at https://%s:%s (admin / %s); remove it with docker rm -f -v %s"
                % (container.name, container.host, container.port, container.password, container.name))
        if network is not None:
            say("SPLUNK_KEEP=1: network %s left in place (docker network rm %s)" % (network.name, network.name))
        return
    for container in containers:
        container.remove()
    if network is not None:
        network.remove()


def command_stanza(built_app, name):
    """The key = value lines of one commands.conf stanza of the built app."""
    lines, inside = [], False
    with open(os.path.join(built_app, "default", "commands.conf"), encoding="utf-8") as handle:
        for line in handle:
            stripped = line.strip()
            if stripped.startswith("["):
                inside = stripped == "[%s]" % name
            elif inside and stripped and not stripped.startswith("#"):
                lines.append(stripped)
    return lines


def recorder_conf(built_app=BUILT_APP):
    """local/commands.conf for the container's copy of the app: the recorder as a command of its own, with every key
    of [ngrokscore] but the script, so that splunkd starts it exactly as it starts ngrokscore (same protocol, same
    Python). ngrokscore itself is left as built."""
    keys = [line for line in command_stanza(built_app, "ngrokscore") if not line.startswith("filename")]
    return ("[%s]\nfilename = record_ngrokscore.py\n%s\n" % (RECORDED_COMMAND, "\n".join(keys))).encode("utf-8")


def apps_archive(with_app=True, endpoint_model=True):
    """etc/apps content: the built app, with the protocol recorder beside ngrokscore; the fixtures app; and the
    minimal Endpoint data model unless the real CIM app is installed."""
    archive = Archive()
    if with_app:
        archive.add_tree(BUILT_APP, "apps/" + APP_ID)
        with open(RECORDER, "rb") as handle:
            archive.add_bytes("apps/%s/bin/record_ngrokscore.py" % APP_ID, handle.read(), 0o755)
        archive.add_bytes("apps/%s/local/commands.conf" % APP_ID, recorder_conf())
    archive.add_tree(os.path.join(FIXTURES_DIR, FIXTURE_APP), "apps/" + FIXTURE_APP)
    if endpoint_model:
        archive.add_tree(os.path.join(FIXTURES_DIR, ENDPOINT_APP), "apps/" + ENDPOINT_APP)
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
    fail_environment(problem)  # outside the except block: the message alone says it all


class Topology(object):
    """At most one topology runs at a time: the standalone Splunk is removed before the distributed one starts (the
    distributed tests run last), so a distributed run keeps three instances up, as docs/development.md says."""

    def __init__(self):
        self.standalone = None  # (containers, say)
        self.released = False

    def release_standalone(self):
        if self.standalone is not None:
            containers, say = self.standalone
            say("removing the standalone Splunk before the distributed topology starts")
            _release(containers, say)
            self.standalone = None
            self.released = True


_topology = Topology()


def mark_ready(target):
    """Notes splunkd's clock (an epoch: windows of _internal searches are measured on it, not on this machine's) and
    its start-up time when the suite begins using it: what splunkd logged in between came from starting up, whatever
    the tests do later (including restarts)."""
    service = target.connect()
    outcome = run_search(service, "| makeresults | eval now=now() | table now")
    target.ready_time = float(outcome.rows[0]["now"])
    target.startup_time = float(service.info["startup_time"])
    return target


@pytest.fixture(scope="session")
def splunk(splunk_env, pytestconfig, request):
    """The standalone Splunk under test: the external one, or a container started for this session."""
    if splunk_env.external:
        yield mark_ready(_external_target())
        return
    if _topology.released:
        pytest.fail("the standalone Splunk was removed for the distributed topology: live tests that use it must run "
                    "before the distributed ones (conftest orders them so)", pytrace=False)
    image = request.getfixturevalue("splunk_image")
    say = reporter(pytestconfig)
    cim_package = os.environ.get("SPLUNK_CIM_PACKAGE")
    archives = [(SPLUNK_HOME + "/etc", apps_archive(endpoint_model=not cim_package))]
    environment = {}
    if cim_package:
        if not os.path.isfile(cim_package):
            fail_environment("SPLUNK_CIM_PACKAGE=%s is not a file" % cim_package)
        package = Archive()
        with open(cim_package, "rb") as handle:
            package.add_bytes("it-apps/" + os.path.basename(cim_package), handle.read())
        archives.append(("/tmp", package.getvalue()))
        # splunk-ansible installs the apps listed here (URLs or paths in the container) while provisioning.
        environment["SPLUNK_APPS_URL"] = "/tmp/it-apps/" + os.path.basename(cim_package)
    created = []
    _topology.standalone = (created, say)
    try:
        created.append(_create(splunk_env, image, "sa-ngrok-it-" + secrets.token_hex(3), _password(), archives, say,
                               environment=environment))
        _wait_until_ready(created, say)
        [container] = created
        yield mark_ready(SplunkTarget(container.host, container.port, "admin", container.password, container, image))
    finally:
        if _topology.standalone is not None:
            _topology.standalone = None
            _release(created, say)


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
    """The app that provides the Endpoint data model the detection reads: the real CIM when SPLUNK_CIM_PACKAGE was
    given, else the suite's minimal one. Fails when the model is missing or is not the one asked for."""
    expected = None
    if splunk.container is not None:
        expected = CIM_APP if os.environ.get("SPLUNK_CIM_PACKAGE") else ENDPOINT_APP
    try:
        models = dict(rest_entries(admin, "datamodel/model"))
    except binding.HTTPError as error:
        pytest.fail("cannot list data models on %s: %s" % (splunk, error), pytrace=False)
    if "Endpoint" not in models:
        pytest.fail("no Endpoint data model on %s: %s" % (
            splunk, "see docker logs %s" % splunk.container.name if splunk.container is not None else
            "install the CIM app, or tests/integration/fixtures/%s, there" % ENDPOINT_APP), pytrace=False)
    provider = (models["Endpoint"].get("eai:acl") or {}).get("app") or models["Endpoint"].get("eai:appName")
    if expected is not None and provider != expected:
        pytest.fail("the Endpoint data model comes from %s, expected %s" % (provider, expected), pytrace=False)
    return provider


@pytest.fixture(scope="session")
def run_id():
    """Marks this session's test data (host names, events) apart from any earlier run's."""
    return secrets.token_hex(4)


@pytest.fixture
def allowlist_entry(splunk, service, run_id):
    """An entry added to the admin's allowlist as Splunk Web does it (outputlookup to the ngrok_allowlist lookup
    definition, in the app's context); the allowlist is put back as it was (same bytes, or absent) after each test,
    so that no other test sees the entry, whatever the order."""
    if splunk.container is None:
        pytest.skip("writing the allowlist needs Docker mode: the suite puts the admin's file back inside its own "
                    "container, which it cannot do on an external Splunk")
    path, original = admin_allowlist(splunk.container)
    entry = {"dest": "it-allow-" + run_id, "user": "it-user", "parent_process_name": "bash",
             "process": "ngrok http 3000*", "reason": "integration test " + run_id, "owner": "it@example.com",
             "expires": "2099-12-31"}
    outcome = run_search(service, rows_spl([entry]) + " | table %s | outputlookup append=true ngrok_allowlist"
                         % " ".join(ALLOWLIST_COLUMNS))
    try:
        assert not outcome.errors, outcome
        yield entry
    finally:
        restore_file(splunk.container, path, original)
        assert admin_allowlist(splunk.container)[1] == original, "the allowlist was not put back"


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
        pytest.skip("distributed topology not requested: set SPLUNK_DISTRIBUTED=1 (starts three Splunk containers "
                    "after the standalone one is removed, about 6 GB of memory)")
    image = request.getfixturevalue("splunk_image")
    say = reporter(pytestconfig)
    _topology.release_standalone()
    prefix = "sa-ngrok-it-" + secrets.token_hex(3)
    password = _password()
    labels = {docker_engine.CONTAINER_LABEL: "1", docker_engine.OWNER_LABEL: docker_engine.owner_id()}
    try:
        network = splunk_env.docker.networks.create(prefix, driver="bridge", labels=labels)
    except docker.errors.DockerException as error:
        fail_environment("cannot create the Docker network %s: %s" % (prefix, error))
    containers = []
    try:
        for role, archive in (("sh", apps_archive()), ("idx1", apps_archive(with_app=False)),
                              ("idx2", apps_archive(with_app=False))):
            containers.append(_create(splunk_env, image, "%s-%s" % (prefix, role), password,
                                      [(SPLUNK_HOME + "/etc", archive)], say, network=network.name))
        # Created one after the other, they provision in parallel: waiting for each in turn costs no more.
        _wait_until_ready(containers, say)
        search_head, *indexers = [SplunkTarget(c.host, c.port, "admin", password, c, image) for c in containers]
        _add_search_peers(search_head, indexers, password, say)
        yield Cluster(search_head, indexers)
    finally:
        _release(containers, say, network)


def _add_search_peers(search_head, indexers, password, say, timeout=600.0):
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
