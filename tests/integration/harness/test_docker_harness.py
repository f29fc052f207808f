"""The integration suite's harness against stand-in Docker engines (no Docker needed; part of make test).

Each case runs the live suite exactly as `make test-splunk` runs it (the recipe is read from the Makefile), as a
subprocess pointed at a stand-in engine (standin_engine.py) or at no engine at all, and checks its exit code, what
it printed and what it asked the engine. Only the complete absence of an engine may skip; an engine that answers
but cannot give a running Splunk must fail with the reason.

Nothing here depends on the machine's speed: the stand-in answers at once except where a case delays it on purpose
(a slow ping), and the suite's own engine timeouts are minutes long.
"""

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest

import docker_engine
from splunk_docker import SplunkContainer
from standin_engine import Scenario, StandInEngine

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
MAKEFILE = os.path.join(ROOT, "Makefile")
IMAGE = "splunk/splunk:9.4.3"  # the suite's default image


def make_recipe(target):
    """The command lines of a Makefile rule, with $(PY) as this interpreter."""
    with open(MAKEFILE, encoding="utf-8") as handle:
        text = handle.read()
    match = re.search(r"^%s:[^\n]*\n((?:\t[^\n]*\n)+)" % re.escape(target), text, re.M)
    assert match, "no %s rule in the Makefile" % target
    return [shlex.split(line.strip().lstrip("@").replace("$(PY)", shlex.quote(sys.executable)))
            for line in match.group(1).splitlines()]


def pytest_line(target):
    """The line of a Makefile rule that runs pytest (the others build the app or set up the environment)."""
    [command] = [line for line in make_recipe(target) if line[1:3] == ["-m", "pytest"]]
    return command


# Plugins the live suite never uses, left out of every pytest these tests start: Hypothesis's plugin alone
# doubles the start-up of each run (it imports all of Hypothesis).
UNUSED_PLUGINS = ["-p", "no:cacheprovider", "-p", "no:hypothesispytest"]


def suite_command():
    return pytest_line("test-splunk") + UNUSED_PLUGINS


@pytest.fixture
def workdir():
    # Short: a unix socket path must stay under 108 bytes.
    path = tempfile.mkdtemp(prefix="it-engine-", dir="/tmp")
    yield path
    for name in os.listdir(path):
        os.remove(os.path.join(path, name))
    os.rmdir(path)


def run_suite(workdir, docker_host=None, prefix=(), **settings):
    """Runs the live suite as make test-splunk does; returns (exit code, everything it printed)."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("SPLUNK_", "DOCKER_", "PYTEST_"))}
    env.update(HOME=workdir, PYTHONDONTWRITEBYTECODE="1", **settings)
    if docker_host:
        env["DOCKER_HOST"] = docker_host
    # The timeout only keeps a broken harness from hanging make test; every case ends long before it.
    result = subprocess.run(list(prefix) + suite_command(), cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, timeout=900)
    return result.returncode, result.stdout.decode("utf-8", "replace")


def summary(output):
    """The counts of pytest's last line: {"skipped": 3, "error": 2, ...}."""
    last = [line for line in output.splitlines() if line.strip()][-1]
    return {kind.rstrip("s"): int(count) for count, kind in re.findall(r"(\d+) (\w+)", last)}


def assert_no_live_test_ran(output):
    counts = summary(output)
    assert "passed" not in counts and "failed" not in counts and "xpassed" not in counts, output


def assert_only_opt_in_skips(output):
    """The distributed topology is opt-in (SPLUNK_DISTRIBUTED=1): its tests skip as not requested. Nothing else may."""
    skips = [line for line in output.splitlines() if line.startswith("SKIPPED")]
    assert all("distributed topology not requested" in line for line in skips), output


def test_without_any_engine_every_live_test_skips_with_one_line(workdir):
    missing = os.path.join(workdir, "missing.sock")
    code, output = run_suite(workdir, docker_host="unix://" + missing)
    assert code == 0, output
    counts = summary(output)
    assert set(counts) == {"skipped", "deselected"}, output
    skip_lines = [line for line in output.splitlines() if line.startswith("SKIPPED")]
    assert len(skip_lines) == 1, output
    assert "SKIPPED [%d]" % counts["skipped"] in skip_lines[0]
    assert "no Docker engine: %s does not exist (DOCKER_HOST). Nothing was tested" % missing in skip_lines[0]


@pytest.mark.skipif(os.path.exists(docker_engine.DEFAULT_SOCKET),
                    reason="this machine has a Docker socket at %s: the case needs a machine without one"
                           % docker_engine.DEFAULT_SOCKET)
def test_without_docker_host_the_default_socket_is_looked_for(workdir):
    code, output = run_suite(workdir)
    assert code == 0, output
    assert "no Docker engine: %s does not exist (the default socket; DOCKER_HOST is unset)" % (
        docker_engine.DEFAULT_SOCKET) in output


def test_a_socket_nobody_listens_on_is_no_engine(workdir):
    path = os.path.join(workdir, "stale.sock")
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(path)  # bound, never listening: connecting is refused, as with a stopped engine's leftover socket
    try:
        code, output = run_suite(workdir, docker_host="unix://" + path)
    finally:
        stale.close()
    assert code == 0, output
    assert "no Docker engine: nothing listens on %s (DOCKER_HOST); start Docker" % path in output


def test_splunk_required_turns_the_missing_engine_into_a_failure(workdir):
    missing = os.path.join(workdir, "missing.sock")
    code, output = run_suite(workdir, docker_host="unix://" + missing, SPLUNK_REQUIRED="1")
    assert code == 1, output
    assert_no_live_test_ran(output)
    assert_only_opt_in_skips(output)
    assert "SPLUNK_REQUIRED=1 but no Docker engine: %s does not exist" % missing in output


def test_an_engine_that_cannot_pull_fails_the_run_with_the_reason(workdir):
    path = os.path.join(workdir, "engine.sock")
    with StandInEngine(path, Scenario(pull="rate_limited")) as engine:
        code, output = run_suite(workdir, docker_host="unix://" + path)
    assert code == 1, output
    assert_no_live_test_ran(output)
    counts = summary(output)
    assert_only_opt_in_skips(output)
    assert counts["error"] >= 1, output
    reason = "cannot pull %s: toomanyrequests: You have reached your pull rate limit." % IMAGE
    # In full on the first test that needed Splunk; the others refer to it.
    assert reason in output, output
    assert output.count("no Splunk to test against: the same failure as") == counts["error"] - 1, output
    pulls = [query for verb, path_, query, _ in engine.requests if path_ == "/images/create"]
    assert pulls == [{"fromImage": ["splunk/splunk"], "tag": ["9.4.3"]}], engine.requests
    assert not engine.created


def test_a_slow_ping_is_waited_for_and_a_wrong_tag_fails(workdir):
    path = os.path.join(workdir, "engine.sock")
    # Longer than the 2 s after which the old harness declared "no Docker engine reachable" and skipped.
    with StandInEngine(path, Scenario(ping_delay=3.0, pull="not_found")) as engine:
        code, output = run_suite(workdir, docker_host="unix://" + path, SPLUNK_IMAGE="splunk/splunk:no-such-tag")
    assert code == 1, output
    assert_no_live_test_ran(output)
    assert_only_opt_in_skips(output)
    assert "cannot pull splunk/splunk:no-such-tag: 404 Client Error" in output, output
    assert "manifest for splunk/splunk:no-such-tag not found: manifest unknown" in output, output
    assert engine.paths("GET")[:2] == ["/version", "/_ping"], engine.requests


def test_a_socket_this_user_may_not_open_fails_the_run(workdir):
    path = os.path.join(workdir, "engine.sock")
    prefix = ()
    if os.getuid() == 0:
        # root opens any socket through its capability to override file permissions: the suite runs without it.
        if not shutil.which("setpriv"):
            pytest.skip("running as root without setpriv (util-linux): cannot make a socket root may not open")
        prefix = ("setpriv", "--bounding-set", "-dac_override,-dac_read_search")
    with StandInEngine(path, Scenario()) as engine:
        os.chmod(path, 0)
        code, output = run_suite(workdir, docker_host="unix://" + path, prefix=prefix)
    assert code == 1, output
    assert_no_live_test_ran(output)
    assert_only_opt_in_skips(output)
    assert "a Docker engine socket exists at %s but this user (uid %d) may not open it" % (path, os.getuid()) in output
    assert "Permission denied" in output
    assert engine.requests == []


def _dead_pid():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_container_that_stops_at_once_fails_with_its_logs_and_leftovers_are_cleaned(workdir):
    path = os.path.join(workdir, "engine.sock")
    here = socket.gethostname()
    leftovers = [
        {"Id": "a" * 64, "Names": ["/sa-ngrok-it-stale"],
         "Labels": {docker_engine.CONTAINER_LABEL: "1", docker_engine.OWNER_LABEL: "%s:%d" % (here, _dead_pid())}},
        {"Id": "b" * 64, "Names": ["/sa-ngrok-it-other-host"],
         "Labels": {docker_engine.CONTAINER_LABEL: "1", docker_engine.OWNER_LABEL: "ci-runner-7:4242"}},
        {"Id": "c" * 64, "Names": ["/sa-ngrok-it-live"],
         "Labels": {docker_engine.CONTAINER_LABEL: "1", docker_engine.OWNER_LABEL: "%s:%d" % (here, os.getpid())}},
    ]
    logs = "TASK [splunk_common : Check for required restarts]\nfatal: [localhost]: FAILED! License not accepted\n"
    scenario = Scenario(image_present=True, container_logs=logs, exit_code=1, listed_containers=leftovers)
    with StandInEngine(path, scenario) as engine:
        code, output = run_suite(workdir, docker_host="unix://" + path)
    assert code == 1, output
    assert_no_live_test_ran(output)
    assert "KeyError" not in output
    assert re.search(r"sa-ngrok-it-\w+ stopped while starting \(status exited, exit code 1\); last log lines:",
                     output), output
    assert "fatal: [localhost]: FAILED! License not accepted" in output
    # One container created, labelled with its owner, and removed with its volumes after the failure.
    [(container_id, config)] = engine.created.items()
    assert config["Labels"] == {docker_engine.CONTAINER_LABEL: "1",
                                docker_engine.OWNER_LABEL: config["Labels"][docker_engine.OWNER_LABEL]}
    assert config["Labels"][docker_engine.OWNER_LABEL].startswith(here + ":")
    assert config["HostConfig"]["PortBindings"] == {"8089/tcp": [{"HostIp": "127.0.0.1", "HostPort": ""}]}
    deleted = [(path_, query) for verb, path_, query, _ in engine.requests if verb == "DELETE"]
    assert ("/containers/" + container_id, {"v": ["True"], "link": ["False"], "force": ["True"]}) in deleted, deleted
    # The leftover of a dead run on this host is removed; another host's and a live run's are left alone.
    deleted_paths = [path_ for path_, _ in deleted]
    assert "/containers/" + "a" * 64 in deleted_paths
    assert "/containers/" + "b" * 64 not in deleted_paths and "/containers/" + "c" * 64 not in deleted_paths
    assert "removed what an interrupted earlier run left: sa-ngrok-it-stale" in output
    assert "left alone (made by runs on other hosts, or by an older suite): sa-ngrok-it-other-host" in output


# -- in process: where the containers are reached ---------------------------------------------------------------

def test_reach_follows_docker_host_and_the_explicit_address():
    assert vars(docker_engine.decide_reach(None, {"DOCKER_HOST": "tcp://10.1.2.3:2376"})) == {
        "mode": "published", "host": "10.1.2.3", "publish_on": "", "network": None,
        "why": "remote engine tcp://10.1.2.3:2376"}
    assert docker_engine.decide_reach(None, {"DOCKER_HOST": "ssh://ci@build-box.example:2222"}).host == (
        "build-box.example")
    explicit = docker_engine.decide_reach(None, {"DOCKER_HOST": "ssh://ci@build-box", "SPLUNK_DOCKER_ADDRESS": "dind"})
    assert (explicit.mode, explicit.host, explicit.publish_on) == ("published", "dind", "")


def test_inside_a_container_of_the_engine_splunk_joins_its_network(workdir):
    path = os.path.join(workdir, "engine.sock")
    me = "0123456789ab"
    inspectable = {me: {"Id": me + "cd" * 26, "Name": "/ci-job", "Config": {"Hostname": me},
                        "HostConfig": {"NetworkMode": "ci-net"},
                        "NetworkSettings": {"Networks": {"ci-net": {"IPAddress": "172.18.0.2"}}}}}
    with StandInEngine(path, Scenario(image_present=True, inspectable=inspectable)) as engine:
        environ = {"DOCKER_HOST": "unix://" + path, "HOME": workdir}
        client = docker_engine.connect_engine(environ)
        reach = docker_engine.decide_reach(client, environ, hostname=me)
        assert (reach.mode, reach.network) == ("network", "ci-net")
        container = SplunkContainer(client, IMAGE, "sa-ngrok-it-x", "pw-123456", reach=reach)
        [config] = engine.created.values()
        # Joined to the CI job's network, nothing published on the engine's host.
        assert config["HostConfig"]["NetworkMode"] == "ci-net"
        assert not config["HostConfig"].get("PortBindings")
        attrs = {"NetworkSettings": {"Networks": {"ci-net": {"IPAddress": "172.18.0.9"}}}}
        assert container._address(attrs) == ("172.18.0.9", 8089)
        assert container._address({"NetworkSettings": {"Networks": {}}}) is None
        # Not in a container: this host's name is no container of the engine.
        assert docker_engine.decide_reach(client, environ, hostname="not-a-container").host == "127.0.0.1"
        client.close()


def test_the_makefile_runs_the_live_tests_only():
    assert pytest_line("test-splunk")[1:] == ["-m", "pytest", "tests/integration", "-m", "splunk", "-rs"]


def collected(**settings):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SPLUNK_", "DOCKER_"))}
    env.update(settings)
    result = subprocess.run(suite_command() + ["--collect-only", "-q"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    output = result.stdout.decode("utf-8", "replace")
    assert result.returncode == 0, output
    return [line for line in output.splitlines() if "::" in line]


def test_live_tests_run_in_any_order_chosen_with_the_distributed_ones_last():
    default = collected()
    distributed = [test for test in default if "test_distributed_live.py" in test]
    assert distributed and default[-len(distributed):] == distributed
    reverse = collected(SPLUNK_TEST_ORDER="reverse")
    others = [test for test in default if test not in distributed]
    assert reverse == others[::-1] + distributed[::-1]
    shuffled = collected(SPLUNK_TEST_ORDER="random:7")
    assert shuffled == collected(SPLUNK_TEST_ORDER="random:7")  # a seed repeats its order
    assert sorted(shuffled) == sorted(default)
    assert set(shuffled[-len(distributed):]) == set(distributed) and shuffled[:-len(distributed)] != others


def test_make_test_runs_no_live_test():
    """Every test that needs a Splunk carries the splunk marker, so make test (-m "not splunk") never starts one:
    what it selects here is the harness and the offline replay only."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SPLUNK_", "DOCKER_"))}
    result = subprocess.run([sys.executable, "-m", "pytest", "tests/integration", "-m", "not splunk",
                             "--collect-only", "-q"] + UNUSED_PLUGINS, cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = result.stdout.decode("utf-8", "replace")
    assert result.returncode == 0, output
    files = {line.split("::")[0] for line in output.splitlines() if "::" in line}
    assert files and all(name.startswith("tests/integration/harness/") or name == "tests/integration/"
                         "test_protocol_replay.py" for name in files), files


def test_a_container_that_never_gets_ready_fails_with_its_state_and_logs(workdir):
    path = os.path.join(workdir, "engine.sock")
    logs = "TASK [splunk_common : Start Splunk via CLI] ***\n"
    scenario = Scenario(image_present=True, container_logs=logs, running=True)
    with StandInEngine(path, scenario) as engine:
        # A timeout of 0 s: the first check already finds it not ready, however fast or slow this machine is.
        code, output = run_suite(workdir, docker_host="unix://" + path, SPLUNK_START_TIMEOUT="0")
    assert code == 1, output
    assert_no_live_test_ran(output)
    assert re.search(r"sa-ngrok-it-\w+ not ready after \d+ s \(SPLUNK_START_TIMEOUT; container running, health none, "
                     r"provisioning running, splunkd address 127\.0\.0\.1:1\); last log lines:", output), output
    assert "TASK [splunk_common : Start Splunk via CLI]" in output
    [container_id] = engine.created
    assert "/containers/" + container_id in engine.paths("DELETE")


def test_a_run_cancelled_with_sigterm_removes_its_container(workdir):
    path = os.path.join(workdir, "engine.sock")
    with StandInEngine(path, Scenario(image_present=True, running=True)) as engine:
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("SPLUNK_", "DOCKER_", "PYTEST_"))}
        env.update(HOME=workdir, PYTHONDONTWRITEBYTECODE="1", DOCKER_HOST="unix://" + path)
        process = subprocess.Popen(suite_command(), cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT)
        try:
            # Waits for the suite to start its container (it then waits for Splunk, which never comes).
            while not engine.created or not engine.paths("POST")[-1].endswith("/start"):
                assert process.poll() is None, process.stdout.read().decode()
                time.sleep(0.2)
            process.send_signal(signal.SIGTERM)
            output = process.communicate(timeout=600)[0].decode("utf-8", "replace")
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    [container_id] = engine.created
    assert "/containers/" + container_id in engine.paths("DELETE"), output
    assert process.returncode != 0, output
