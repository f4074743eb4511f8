"""The docs name only what exists: README.md and docs/*.md read against the project itself.

What a doc shows in code (fenced blocks and inline `code`) or in a table must exist: every command
(`risk-segmentation <sub> --flag`, `dbt <command> --flag`, `make <target>`), every dbt var (in
`--vars '{...}'`, after "var `name`" and in the var tables), every model named by its layer's prefix,
every `model.column`, the marts of the mart tables with the columns definitions.md §9 requires, every
project path and test module, and every relative link and #anchor. The other way round, what the docs
promise to list must be listed: every var in configuration.md, every mart in the mart tables (each
contracted, every column documented), every folder in the README's Layout, every test module in
testing.md, every export column in operations.md; and the sample's rejection counts add up. The truth is the
argparse parser of `risk_segmentation.cli`, dbt's own command line, the Makefile, dbt_project.yml's
vars and the manifest of one `dbt parse` (models, their columns and contracts).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import click
import pytest
import yaml
from dbt.cli.main import cli as dbt_cli

from conftest import DBT, PROJECT_DIR
from risk_segmentation import cli

# A fenced code block: a line of ``` (and a language) to the next line of ```.
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
# An inline code span on one line: `...`.
INLINE_CODE = re.compile(r"`([^`\n]+)`")
# A command: VAR=value assignments and a path (.venv/bin/) may come first, then the program.
COMMAND = re.compile(r"^(?:\w+=\S*\s+)*(?:\S*/)?(risk-segmentation|dbt|make)(?:\s+(.*))?$")
# A shell comment: # at the start or after a space, to the end of the line.
COMMENT = re.compile(r"(?:^|\s)#.*")
# Between two shell commands on one line: && or ; (dbt deps && dbt build).
COMMAND_SEPARATOR = re.compile(r"\s+(?:&&|;)\s+")
# The value of a --vars option, in single or double quotes.
VARS_OPTION = re.compile(r"""--vars[ =](['"])(.*?)\1""")
# A var named in prose: var `name` (or vars `name`), maybe across a line break.
VAR_MENTION = re.compile(r"\bvars?\s+`(\w+)`")
# A model named with its layer's prefix: base_, stg_ or int_.
PREFIXED_MODEL = re.compile(r"(?:base|stg|int)_\w+")
# model.column (or schema.model): two names joined by one dot.
DOTTED_NAME = re.compile(r"([a-z]\w*)\.([a-z]\w*)")
# A path in the project: folder/.../name, or a folder/.
PROJECT_PATH = re.compile(r"[\w.-]+(?:/[\w.-]+)+/?")
# A pytest module: test_<name>.py.
TEST_MODULE = re.compile(r"test_\w+\.py")
# A Markdown link or image: [text](target).
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
# A heading: one to six # at the start of a line outside code blocks.
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*$", re.MULTILINE)
# A target of the Makefile: a name at the start of a line, then a colon that is no := assignment.
MAKE_TARGET = re.compile(r"^([A-Za-z][\w-]*)\s*:(?!=)", re.MULTILINE)

# Allowed although not a project name (keep this short):
# - the form of --vars in configuration.md: `--vars '{name: value}'`;
PLACEHOLDER_VARS = {"name"}
# - file names with a dot, such as `report.html` or `dbt_project.yml`, are not model.column;
FILE_EXTENSIONS = {"csv", "duckdb", "git", "html", "json", "lock", "md", "parquet", "png", "py", "sql", "txt", "yml"}
# - files that `make build` (docs.html) and the benchmark (its cache of shops) write, absent from a clone.
GENERATED_FILES = {"docs.html", "benchmarks/data/"}


def words(command: str) -> list[str]:
    """A command's words as the shell splits them (quotes removed); at spaces if a quote is unbalanced."""
    try:
        return shlex.split(command)
    except ValueError:
        return command.split()


@dataclass
class Doc:
    path: Path
    text: str
    code_blocks: list[str] = field(init=False)  # with backslash-continued lines joined
    prose: str = field(init=False)  # the text without its code blocks
    inline_code: list[str] = field(init=False)
    tables: list[list[list[str]]] = field(init=False)  # each table's rows of cells, the header first

    def __post_init__(self) -> None:
        self.code_blocks = [block.replace("\\\n", " ") for block in FENCE.findall(self.text)]
        self.prose = FENCE.sub("", self.text)
        self.inline_code = INLINE_CODE.findall(self.prose)
        self.tables = []
        previous_line_was_a_row = False
        for line in self.prose.splitlines():
            is_row = line.startswith("|")
            if is_row and not re.fullmatch(r"[|:\- ]+", line):  # not the |---| line under the header
                if not previous_line_was_a_row:
                    self.tables.append([])
                self.tables[-1].append([cell.strip() for cell in line.strip().strip("|").split("|")])
            previous_line_was_a_row = is_row

    @property
    def name(self) -> str:
        return str(self.path.relative_to(PROJECT_DIR))

    def commands(self) -> list[tuple[str, list[str]]]:
        """(program, arguments) of each command in the code blocks (comments cut) and inline spans; an
        inline span of options only (`--full-refresh`) is a command of program ''."""
        lines = [COMMENT.sub("", line) for block in self.code_blocks for line in block.splitlines()]
        parts = [part.strip() for line in [*lines, *self.inline_code] for part in COMMAND_SEPARATOR.split(line)]
        commands = [(match[1], words(match[2] or "")) for match in map(COMMAND.match, parts) if match]
        return commands + [("", words(span)) for span in self.inline_code if span.startswith("--")]

    def tables_headed(self, first_header: str) -> list[list[list[str]]]:
        """The tables whose first header cell is first_header, without their header rows."""
        return [table[1:] for table in self.tables if table[0][0] == first_header]

    def section(self, heading: str) -> str:
        """The text under a heading (a whole line, such as "## Layout"), to the next heading."""
        lines, inside, in_code = [], False, False
        for line in self.text.splitlines(keepends=True):
            in_code ^= line.startswith("```")
            if not in_code and re.match(r"#{1,6} ", line):
                inside = line.strip() == heading
            elif inside:
                lines.append(line)
        return "".join(lines)


DOC_PATHS = [PROJECT_DIR / "README.md", *sorted((PROJECT_DIR / "docs").glob("*.md"))]
DOCS = [Doc(path, path.read_text(encoding="utf-8")) for path in DOC_PATHS]


def doc_named(name: str) -> Doc:
    return next(doc for doc in DOCS if doc.name == name)


def flags(parser: argparse.ArgumentParser | click.Command) -> set[str]:
    if isinstance(parser, argparse.ArgumentParser):
        return set(parser._option_string_actions)  # argparse's own index of its options
    return {name for param in parser.params for name in [*param.opts, *param.secondary_opts]}


PARSER = cli.build_parser()
# The subcommands' parsers: the choices of the parser's one subparsers action.
SUBCOMMANDS = next(a for a in PARSER._actions if isinstance(a, argparse._SubParsersAction)).choices
DBT_COMMANDS = dbt_cli.commands
ALL_FLAGS = flags(PARSER).union(*map(flags, SUBCOMMANDS.values()), flags(dbt_cli), *map(flags, DBT_COMMANDS.values()))
MAKE_TARGETS = set(MAKE_TARGET.findall((PROJECT_DIR / "Makefile").read_text()))
PROJECT_VARS = set(yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["vars"])


def unknown_flags(words: list[str], known: set[str]) -> list[str]:
    """The options among words (a bare -- excepted) that are not known."""
    return [word for word in words if word.startswith("-") and word != "--" and word.split("=")[0] not in known]


def command_problems(program: str, words: list[str]) -> list[str]:
    """What a command names that does not exist."""
    if program == "make":
        return [f"no make target {words[0]}"] if words and words[0] not in MAKE_TARGETS else []
    if program == "risk-segmentation":
        # What follows a bare -- is for dbt build (publish, history).
        own, dbt_args = (words[: words.index("--")], words[words.index("--") + 1 :]) if "--" in words else (words, [])
        parser = PARSER
        if own and not own[0].startswith("-"):
            if own[0] not in SUBCOMMANDS:
                return [f"no subcommand {own[0]}"]
            parser = SUBCOMMANDS[own[0]]
        problems = [f"no option {flag}" for flag in unknown_flags(own, flags(parser))]
        return problems + command_problems("dbt", ["build", *dbt_args])
    if program == "dbt":
        command, known = dbt_cli, flags(dbt_cli)
        for word in words[:2]:  # a command, and a group's subcommand (dbt docs generate)
            if isinstance(command, click.Group) and not word.startswith("-"):
                if word not in command.commands:
                    return [f"no dbt command {word}"]
                command = command.commands[word]
                known |= flags(command)
        return [f"no dbt option {flag}" for flag in unknown_flags(words, known)]
    return [f"no option {flag} of risk-segmentation or dbt" for flag in unknown_flags(words, ALL_FLAGS)]


def test_every_command_subcommand_flag_and_make_target_exists() -> None:
    problems = [
        f"{doc.name}: `{' '.join([program, *words]).strip()}`: {problem}"
        for doc in DOCS
        for program, words in doc.commands()
        for problem in command_problems(program, words)
    ]
    assert problems == []


def table_vars(doc: Doc) -> set[str]:
    """The vars in the first column of a doc's var tables (tables headed | var |)."""
    return {name for table in doc.tables_headed("var") for row in table for name in INLINE_CODE.findall(row[0])}


def named_vars(doc: Doc) -> set[str]:
    """The vars a doc names: in --vars values, after "var", and in the first column of its var tables."""
    names = set(VAR_MENTION.findall(doc.prose))
    for code in [*doc.code_blocks, *doc.inline_code]:  # comments too: "# other vars: --vars '{...}'"
        for _, value in VARS_OPTION.findall(code):
            parsed = yaml.safe_load(value)
            names |= set(parsed) if isinstance(parsed, dict) else {value}
    return names | table_vars(doc)


def test_every_var_named_exists_and_every_var_is_in_configuration_md() -> None:
    problems = [f"{doc.name}: no var {var}" for doc in DOCS for var in sorted(named_vars(doc) - PROJECT_VARS)
                if var not in PLACEHOLDER_VARS]  # fmt: skip
    configuration = table_vars(doc_named("docs/configuration.md"))
    problems += [f"docs/configuration.md: var {var} missing" for var in sorted(PROJECT_VARS - configuration)]
    assert problems == []


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The project as one `dbt parse` sees it: models, their columns and their configs."""
    tmp_path = tmp_path_factory.mktemp("docs")
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(PROJECT_DIR / "profiles"),
        "RISK_SEGMENTATION_DUCKDB_PATH": str(tmp_path / "parse.duckdb"),
        "DBT_TARGET": "dev",
    }
    command = [DBT, "parse", "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")]
    completed = subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stdout[-5000:]
    return json.loads((tmp_path / "target" / "manifest.json").read_text())


@pytest.fixture(scope="module")
def models(manifest: dict) -> dict[str, dict]:
    """Every model, those disabled for this target and vars included (base_shop__csv_records: file mode only)."""
    disabled = [node for versions in manifest["disabled"].values() for node in versions]
    return {node["name"]: node for node in [*manifest["nodes"].values(), *disabled] if node["resource_type"] == "model"}


@pytest.fixture(scope="module")
def marts(models: dict[str, dict]) -> dict[str, dict]:
    """The published marts: the tables of models/marts (its audit view is no mart)."""
    return {
        name: node
        for name, node in models.items()
        if node["original_file_path"].startswith("models/marts/")
        and node["config"]["enabled"]
        and node["config"]["materialized"] != "view"
    }


def test_every_model_and_column_named_exists(manifest: dict, models: dict[str, dict]) -> None:
    seeds = {node["name"] for node in manifest["nodes"].values() if node["resource_type"] == "seed"}
    schemas = {node["schema"] for node in manifest["nodes"].values()}
    problems = []
    for doc in DOCS:
        for span in doc.inline_code:
            if PREFIXED_MODEL.fullmatch(span) and span not in models:
                problems.append(f"{doc.name}: no model {span}")
            dotted = DOTTED_NAME.fullmatch(span)
            if not dotted or dotted[2] in FILE_EXTENSIONS:
                continue
            first, second = dotted.groups()
            if first in schemas:
                problems += [f"{doc.name}: no model or seed {span}"] if second not in {*models, *seeds} else []
            elif first not in models or second not in models[first]["columns"]:
                problems.append(f"{doc.name}: no model column {span}")
    assert problems == []


def test_the_mart_tables_list_every_mart_and_its_required_columns(marts: dict[str, dict]) -> None:
    tables = {doc.name: table for doc in DOCS for table in doc.tables_headed("mart")}
    assert set(tables) == {"README.md", "docs/definitions.md"}, "the two tables headed | mart |"
    problems = []
    for name, table in tables.items():
        listed = {mart for row in table for mart in INLINE_CODE.findall(row[0])}
        problems += [f"{name}: no mart {mart}" for mart in sorted(listed - set(marts))]
        problems += [f"{name}: mart {mart} missing" for mart in sorted(set(marts) - listed)]
    # definitions.md §9's required columns, "col, col (+ col); section 10": the items that are one name.
    for row in tables["docs/definitions.md"]:
        columns = marts.get(row[0].strip("`"), {}).get("columns", {})
        items = [item.strip() for item in re.split(r"[,;(+)]", row[2])]
        problems += [
            f"docs/definitions.md: no column {row[0].strip('`')}.{item}"
            for item in items
            if re.fullmatch(r"\w+", item) and item not in columns
        ]
    assert problems == []


def test_every_mart_is_contracted_and_every_column_documented(marts: dict[str, dict]) -> None:
    """What the README promises of the marts."""
    uncontracted = [f"{name}: no enforced contract" for name, node in marts.items()
                    if not node["config"]["contract"]["enforced"]]  # fmt: skip
    undocumented = [f"{name}.{column}: no description" for name, node in marts.items()
                    for column, spec in node["columns"].items() if not spec["description"].strip()]  # fmt: skip
    assert uncontracted + undocumented == []


def test_every_project_path_and_test_module_named_exists() -> None:
    """Paths under the project's own folders (models/..., tests/python/...) and test modules exist, and
    testing.md's table of the pytest suites lists every test module."""
    tracked = subprocess.run(["git", "ls-files"], cwd=PROJECT_DIR, capture_output=True, text=True, check=True)
    top_folders = {path.split("/")[0] for path in tracked.stdout.splitlines() if "/" in path}
    problems = []
    for doc in DOCS:
        for span in doc.inline_code:
            if PROJECT_PATH.fullmatch(span) and span.split("/")[0] in top_folders and span not in GENERATED_FILES:
                problems += [f"{doc.name}: no {span}"] if not (PROJECT_DIR / span).exists() else []
            if TEST_MODULE.fullmatch(span) and not (PROJECT_DIR / "tests" / "python" / span).exists():
                problems.append(f"{doc.name}: no tests/python/{span}")
    (suites,) = doc_named("docs/testing.md").tables_headed("module")
    listed = {module for row in suites for module in INLINE_CODE.findall(row[0])}
    modules = {path.name for path in (PROJECT_DIR / "tests" / "python").glob("test_*.py")}
    problems += [f"docs/testing.md: {module} missing from the pytest suites" for module in sorted(modules - listed)]
    assert problems == []


def test_the_layout_lists_every_folder() -> None:
    """Each entry of the README's Layout exists, and each folder holding a tracked file is listed (or is
    the parent of a listed entry)."""
    (block,) = FENCE.findall(doc_named("README.md").section("## Layout"))
    entries = [line.split()[0] for line in block.splitlines() if line and not line.startswith(" ")]
    tracked = subprocess.run(["git", "ls-files"], cwd=PROJECT_DIR, capture_output=True, text=True, check=True)
    folders = {str(Path(path).parent) + "/" for path in tracked.stdout.splitlines() if "/" in path}
    problems = [f"{entry}: no such file or folder" for entry in entries if not (PROJECT_DIR / entry).exists()]
    problems += [f"{folder}: not listed" for folder in sorted(folders)
                 if not any(entry.startswith(folder) for entry in entries)]  # fmt: skip
    assert problems == []


def test_operations_md_lists_every_export_column() -> None:
    section = doc_named("docs/operations.md").section("## Exporting segments for campaign tools")
    assert [column for column in cli.EXPORT_COLUMNS if f"`{column}`" not in section] == []


def count(cell: str) -> int:
    return int(cell.replace(",", ""))


def test_the_sample_rejection_counts_add_up() -> None:
    """bad-input.md's tables agree with each other, and every doc quoting the build's total says the same."""
    tables = {tuple(table[0]): table[1:] for table in doc_named("docs/bad-input.md").tables}
    dispositions = tables[("table", "raw", "clean", "duplicates", "rejected")]
    reasons = tables[("table", "reason", "rows")]
    assert [row[0] for row in dispositions if count(row[1]) != sum(map(count, row[2:]))] == [], "raw = the rest"
    rejected = {row[0]: count(row[4]) for row in dispositions}
    by_reason = {table: sum(count(row[2]) for row in reasons if row[0] == table) for table in rejected}
    assert by_reason == rejected
    # The build's closing log, as docs quote it: "Rejected rows (1248 in stg_shop__rejected_rows):".
    quoted = [(doc.name, int(total)) for doc in DOCS for total in re.findall(r"Rejected rows \((\d+) in", doc.text)]
    assert quoted and {total for _, total in quoted} == {sum(rejected.values())}, quoted


def anchors(path: Path) -> set[str]:
    """The #anchors of a Markdown file's headings, as GitHub makes them."""
    found: set[str] = set()
    for heading in HEADING.findall(FENCE.sub("", path.read_text(encoding="utf-8"))):
        # Lower case; punctuation (backticks, dots, colons, §) dropped; spaces become hyphens.
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        duplicates = sum(1 for anchor in found if re.fullmatch(rf"{re.escape(slug)}(-\d+)?", anchor))
        found.add(f"{slug}-{duplicates}" if duplicates else slug)
    return found


def test_every_relative_link_and_anchor_exists() -> None:
    broken = []
    for doc in DOCS:
        for target in LINK.findall(INLINE_CODE.sub("", doc.prose)):
            if re.match(r"[a-z]+:", target) or target in GENERATED_FILES:  # https:, mailto:
                continue
            path, _, anchor = target.partition("#")
            file = (doc.path.parent / path).resolve() if path else doc.path
            if not file.exists() or (anchor and anchor not in anchors(file)):
                broken.append(f"{doc.name}: {target}")
    assert broken == []
