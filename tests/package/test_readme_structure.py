"""The README reads as a user guide: a table of contents whose links reach its headings, links between the documents
that resolve, and SPL examples that run as pasted (issue 11 items 7 and 8)."""

import glob
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
README = os.path.join(ROOT, "README.md")
DOCUMENTS = [README] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))

FENCE = re.compile(r"^(`{3,}|~{3,})(.*)$")
LINK = re.compile(r"\]\(([^)\s]+)\)")


def read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def prose_lines(text):
    """The lines outside fenced code blocks."""
    fence = None
    for line in text.split("\n"):
        match = FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)
        elif fence is not None and line.strip() == fence:
            fence = None
        elif fence is None:
            yield line


def fenced_blocks(text):
    """(info string, lines) of every fenced code block."""
    blocks, fence, info, lines = [], None, None, []
    for line in text.split("\n"):
        match = FENCE.match(line)
        if fence is None and match:
            fence, info, lines = match.group(1), match.group(2).strip(), []
        elif fence is not None and line.strip() == fence:
            blocks.append((info, lines))
            fence = None
        elif fence is not None:
            lines.append(line)
    assert fence is None, "unclosed code block"
    return blocks


def slug(heading):
    """GitHub's anchor for a heading: lower case, punctuation dropped (hyphens and underscores kept), spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().replace("`", "").lower())
    return text.replace(" ", "-")


def anchors(text):
    seen, result = {}, set()
    for line in prose_lines(text):
        match = re.match(r"^#{1,6} (.+)$", line)
        if match:
            base = slug(match.group(1))
            count = seen.get(base, 0)
            seen[base] = count + 1
            result.add(base if count == 0 else "%s-%d" % (base, count))
    return result


def test_readme_has_a_table_of_contents_that_reaches_every_section():
    text = read(README)
    lines = list(prose_lines(text))
    assert "## Contents" in lines
    start = lines.index("## Contents") + 1
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("#"))
    targets = [target for line in lines[start:end] for target in LINK.findall(line)]
    assert targets, "the table of contents has no links"
    headings = anchors(text)
    for target in targets:
        assert target.startswith("#") and target[1:] in headings, target
    # Every section and subsection is listed, so the table cannot fall behind the README.
    listed = {target[1:] for target in targets}
    for line in lines:
        match = re.match(r"^(##|###) (.+)$", line)
        if match and match.group(2) != "Contents":
            assert slug(match.group(2)) in listed, "missing from the table of contents: " + line


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: os.path.relpath(p, ROOT))
def test_links_between_the_documents_resolve(path):
    text = read(path)
    for line in prose_lines(text):
        for target in LINK.findall(line):
            if re.match(r"^[a-z]+:", target):
                continue  # an external address
            file_part, _, anchor = target.partition("#")
            linked = os.path.normpath(os.path.join(os.path.dirname(path), file_part)) if file_part else path
            assert os.path.exists(linked), (os.path.relpath(path, ROOT), target)
            if anchor and linked.endswith(".md"):
                assert anchor in anchors(read(linked)), (os.path.relpath(path, ROOT), target)


def spl_problems(lines):
    """What keeps a ```spl block from running as pasted. The rule: a block is one search; its first line starts it
    and every further line starts a command with `|` or is indented (a continuation of the command above); no `...`
    placeholder; and outside quoted strings and ```comments```, no line has a run of two or more spaces after its
    first word, the layout of an explanation written beside the SPL."""
    problems = []
    body = [line for line in lines if line.strip()]
    if not body:
        return ["empty block"]
    for number, line in enumerate(body):
        code = re.sub(r'"(?:[^"\\]|\\.)*"', '""', line)  # quoted strings may hold anything
        code = re.sub(r"```.*?```", "", code)  # SPL comments may hold prose
        if number and not (line.startswith("|") or line[:1].isspace() or not code.strip()):
            problems.append("neither a new command nor a continuation: " + line)
        if "..." in code:
            problems.append("placeholder '...': " + line)
        if "`" in code:
            problems.append("unbalanced SPL comment or backtick: " + line)
        if re.search(r"\S {2,}\S", code):
            problems.append("text beside the SPL: " + line)
    return problems


def test_every_spl_example_runs_as_pasted():
    found = 0
    for path in DOCUMENTS:
        for info, lines in fenced_blocks(read(path)):
            assert info, "%s: a code block without a language (label SPL as spl)" % os.path.relpath(path, ROOT)
            if info == "spl":
                found += 1
                assert not spl_problems(lines), (os.path.relpath(path, ROOT), spl_problems(lines), lines)
    assert found >= 2


@pytest.mark.parametrize("bad", [
    ["... | ngrokscore on_allowlist=drop | where risk_score >= 70            high-risk findings, exceptions hidden"],
    ["| tstats count from datamodel=Endpoint.Processes", "index=linux | ngrokscore"],
    ["index=linux | ngrokscore    raw Sysmon for Linux events"],
    ["index=linux", "a flat score of 80 for every finding"],
])
def test_the_spl_rule_catches_prose_beside_or_between_the_spl(bad):
    assert spl_problems(bad)


@pytest.mark.parametrize("good", [
    ["| tstats count from datamodel=Endpoint.Processes where Processes.process_name=ngrok",
     "    by Processes.dest Processes.user", "| ngrokscore on_allowlist=drop", "| where risk_score >= 70"],
    ['index=linux CommandLine="*ngrok  http*" ```raw Sysmon  events, prose allowed here```', "| ngrokscore"],
    ['| ngrokscore message="ngrok $ngrok_subcommand$ on $dest$ (score $risk_score$)"'],
])
def test_the_spl_rule_accepts_searches_and_comments(good):
    assert not spl_problems(good)
