"""Meta-tests that keep the project consistent: every query has its header and a golden test,
its $params are the ones it declares, every page is in the navigation and starts with the shared
call, the README carries the contract and the agreement keys, and nothing formats SQL."""

from __future__ import annotations

import ast
import re
import tomllib

import pytest

from handoff import access, agreement, contract, mapping
from handoff.db import QUERY_DIR, STAGING, _fragments, compile_query, load_query, params_in
from handoff.sql import Sql
from handoff.ui import NAVIGATION
from tests.conftest import ROOT

QUERIES = sorted(p.stem for p in QUERY_DIR.glob("*.sql"))
STAGING_FILES = sorted(p.stem for p in (QUERY_DIR / "staging").glob("*.sql"))
FRAGMENTS = sorted(p.stem for p in (QUERY_DIR / "fragments").glob("*.sql"))
IMPORT_FILES = sorted(p.stem for p in (QUERY_DIR / "import").glob("*.sql"))
ALL = (
    [(q, "") for q in QUERIES]
    + [(q, "staging") for q in STAGING_FILES]
    + [(q, "fragments") for q in FRAGMENTS]
    + [(q, "import") for q in IMPORT_FILES]
)
TEST_TEXT = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "tests").glob("test_*.py")}


@pytest.mark.parametrize(("name", "folder"), ALL)
def test_every_sql_file_has_a_header_and_its_params(name, folder):
    query = load_query(name, folder)
    assert query.question.endswith("?"), f"{name}: the Question header should be a question"
    assert query.grain, name
    for fragment in query.uses:
        assert fragment in FRAGMENTS, f"{name} uses unknown fragment {fragment}"


@pytest.mark.parametrize(("name", "folder"), ALL)
def test_header_is_the_compiled_interface(name, folder):
    """Params and Columns are the parameters and column slots of the SQL the runner compiles
    (fragments prepended) and binds, counted here from the compiled text itself."""
    query = load_query(name, folder)
    compiled, bound = compile_query(name, folder, {s: Sql("null") for s in query.declared_slots})
    assert len(set(query.declared_params)) == len(query.declared_params), name
    assert set(query.declared_params) == params_in(compiled) == bound, (
        f"{name}: header Params {sorted(query.declared_params)}, compiled SQL binds "
        f"{sorted(params_in(compiled))}"
    )
    text = "\n".join([query.body, *(f.body for f in _fragments(query.uses))])
    assert set(query.declared_slots) == set(re.findall(r"\{\{([a-z_0-9]+)\}\}", text)), (
        f"{name}: header Columns {sorted(query.declared_slots)}"
    )


def test_a_header_that_is_not_the_compiled_interface_is_refused(tmp_path, monkeypatch):
    from handoff import db

    for folder in ("queries", "queries/fragments"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "queries/fragments/scope.sql").write_text(
        "-- Question: q?\n-- Params: $owners\n-- Grain: g\nselect * from t where o = $owners\n"
    )
    header = "-- Question: q?\n-- Params: {}\n-- Grain: g\n-- Uses: scope\n"
    body = "select * from scope where n = $limit\n"
    cases = (
        ("own_only", "$limit"),
        ("none_said", "none"),
        ("extra", "$limit, $owners, $teams"),
        ("wrapped", "$limit,\n--         $owners"),
    )
    for name, params in cases:
        (tmp_path / f"queries/{name}.sql").write_text(header.format(params) + body)
    monkeypatch.setattr(db.paths, "APP_DIR", tmp_path)
    monkeypatch.setattr(db, "QUERY_DIR", tmp_path / "queries")
    db.load_query.cache_clear()
    try:
        for name in ("own_only", "none_said", "extra"):
            with pytest.raises(db.QueryError, match="not the parameters of the compiled SQL"):
                db.load_query(name)
        assert db.load_query("wrapped").declared_params == ("limit", "owners")
    finally:
        db.load_query.cache_clear()


@pytest.mark.parametrize("name", QUERIES)
def test_every_query_has_a_golden_test(name):
    # tests/golden/<name>.toml, with cases that compare rows, every one of them collected by the
    # runner (tests/test_golden.py) and so run on the golden database.
    from tests import test_golden

    path = test_golden.GOLDEN_DIR / f"{name}.toml"
    assert path.is_file(), f"no golden file tests/golden/{name}.toml for queries/{name}.sql"
    cases = test_golden.load_cases(path)
    assert cases, f"tests/golden/{name}.toml has no [[case]]"
    for case in cases:
        assert case.get("name"), f"{name}: a case has no name"
        assert case.get("columns"), f"{name}: case {case['name']!r} compares no columns"
        assert "rows" in case, f"{name}: case {case['name']!r} has no expected rows"
    run = [p.values[1]["name"] for p in test_golden.CASES if p.values[0] == name]
    assert run == [c["name"] for c in cases], f"{name}: the runner does not run every case"
    assert len(set(run)) == len(run), f"{name}: two cases share a name"
    assert set(test_golden.golden_files()) <= set(QUERIES), "a golden file names no query"


@pytest.mark.parametrize("name", STAGING_FILES)
def test_every_staging_table_is_built_and_tested(name):
    assert name in STAGING, f"queries/staging/{name}.sql is not in handoff.db.STAGING"
    assert name in TEST_TEXT["test_staging.py"], f"no golden test reads {name}"


@pytest.mark.parametrize("name", FRAGMENTS)
def test_every_fragment_is_used_and_tested(name):
    users = [q for q in QUERIES if name in load_query(q).uses] + [
        f for f in FRAGMENTS if name in load_query(f, "fragments").uses
    ]
    assert users, f"fragment {name} is used by no query or fragment"


def test_staging_order_lists_only_existing_files():
    assert sorted(STAGING) == STAGING_FILES


PAGE_FILES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py"))
NAV_PATHS = [link.path for _, links in NAVIGATION for link in links]


def test_every_page_is_in_the_navigation():
    assert sorted(p for p in NAV_PATHS if p != "app.py") == PAGE_FILES
    assert "app.py" in NAV_PATHS
    assert len(NAV_PATHS) == len(set(NAV_PATHS))


@pytest.mark.parametrize("path", ["app.py", *PAGE_FILES])
def test_every_page_starts_with_the_shared_call(path):
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    body = [n for n in tree.body if not isinstance(n, ast.Import | ast.ImportFrom | ast.Expr)]
    first = body[0]
    assert isinstance(first, ast.Assign), path
    call = first.value
    assert isinstance(call, ast.Call)
    assert ast.unparse(call.func) == "ui.page", f"{path} must begin with ui.page(...)"


README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_starts_with_the_run_and_test_commands():
    blocks = re.findall(r"```bash\n(.*?)```", README, flags=re.S)
    assert blocks[0].strip() == "make run"
    assert blocks[1].strip() == "make test"
    assert README.index("make test") < 1200
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_readme_shows_the_contract_from_code():
    assert contract.markdown_table() in README


def test_every_agreement_key_is_documented():
    assert agreement.keys_markdown() in README
    for key in agreement.KEYS:
        assert f"`{key.path}`" in README


def test_requirements_are_pinned_exactly():
    lines = [
        line
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines
    for line in lines:
        assert re.fullmatch(r"[A-Za-z0-9_.\-]+==[0-9][A-Za-z0-9.+\-]*", line), line


def test_no_sql_is_built_by_string_formatting():
    pattern = re.compile(
        r"(execute|sql|query)\(\s*f[\"']|f[\"']\s*(select|with|insert|update|delete|create)\b"
        r"|\.format\(.*(select|from|where)",
        re.I,
    )
    files = [
        *sorted((ROOT / "handoff").rglob("*.py")),
        ROOT / "app.py",
        *(ROOT / "pages").glob("*.py"),
    ]
    offenders = [
        f"{p.name}:{n}"
        for p in files
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []


@pytest.mark.parametrize(("name", "folder"), [q for q in ALL if q[1] != "fragments"])
@pytest.mark.parametrize("dialect", ["spark", "trino"])
def test_queries_transpile_for_a_distributed_engine(name, folder, dialect):
    """PRODUCT.md: the same queries must run on Spark or Trino through SQLGlot."""
    import sqlglot
    from sqlglot.errors import ErrorLevel

    from handoff.db import SCORE_SLOTS, credited, group_column, score_columns

    scoring = agreement.load(ROOT / "data" / "agreement.toml").scoring

    query = load_query(name, folder)
    wanted = query.declared_slots
    examples = {
        "group_1": group_column("source", ("region",)),
        "group_2": group_column("region", ("region",)),
        "lead_attributes": Sql(', l."region" as "attr_region"'),
        "attribute_columns": Sql(', "attr_region"'),
        **{
            s: credited(s, "source") for s in ("credited", "credited_before", "credited_from_leads")
        },
        **{s: score_columns(s, scoring) for s in SCORE_SLOTS},
        # The importer's slots (queries/import/), as it fills them for a leads file.
        "columns": Sql('t."lead_id", t."source"'),
        "key": Sql('"lead_id"'),
        "source": Sql('"src_0"'),
        "table": Sql('"leads"'),
        "column": Sql('"source"'),
        "lines": Sql('"src_0_lines"'),
        "status": Sql("nullif(trim(cast(s.\"status\" as varchar)), '')"),
        "label_values": Sql('select "source" as v from "leads" where "source" is not null'),
        "dates": Sql(
            'select cast(0 as varchar) as header, s."created" as v, s.rowid + 2 as line'
            ' from "src_0" as s where regexp_matches(s."created", $numeric_date)'
        ),
        "line": Sql("s.rowid + 2"),
        "skip": Sql("null"),
        "problems": Sql(
            "case when s.\"__v_lead_id\" is null then {'col': 'lead_id', 'why': 'is blank'} end"
        ),
        "made": Sql(
            '(select s.*, s.rowid as rowid, s."lead_id" as "__v_lead_id" from "src_0" as s)'
        ),
        "joins": Sql(""),
        "rows": Sql("true"),
        "counts": Sql('count(*) filter (where "__d_created_at")'),
        "values": Sql('arg_min(t."__a_segment", [t.part_no, t.raw_rowid]) as "segment"'),
    }
    sql, _ = compile_query(name, folder, {k: examples[k] for k in wanted})
    assert sqlglot.transpile(sql, read="duckdb", write=dialect, unsupported_level=ErrorLevel.RAISE)


def test_readme_documents_every_mapping_key():
    assert mapping.keys_markdown() in README
    documented = " ".join(f"{k} {m}" for k, m in mapping.KEY_DOCS)
    keys = (mapping._TOP_KEYS | mapping._FILE_KEYS | mapping._SPEC_KEYS | mapping._COND_KEYS) - {
        "files"
    }
    missing = sorted(k for k in keys if not re.search(rf"\b{re.escape(k)}\b", documented))
    assert missing == []


def test_readme_mapping_examples_are_valid(tmp_path):
    blocks = re.findall(r"```toml\n(.*?)```", README, re.S)
    assert blocks
    for n, block in enumerate(blocks):
        if block.startswith("[[change]]"):
            # An agreement's version: valid appended to the demo agreement.
            demo = (ROOT / "data" / "agreement.toml").read_text(encoding="utf-8")
            assert agreement.parse(demo + "\n" + block).version.number == 2
            continue
        if block.startswith("# in [stages]"):
            # Each team's words for a stage: valid in the demo agreement's [stages] section.
            demo = (ROOT / "data" / "agreement.toml").read_text(encoding="utf-8")
            label = 'won = "Closed won"\n'
            assert label in demo
            parsed = agreement.parse(demo.replace(label, label + block))
            assert parsed.team_terms["sal"] == {"sales": ("accepted",), "marketing": ("SAL",)}
            continue
        if block.startswith("# data/access.toml"):
            # The access file's example: valid, and giving the roles it says.
            rules = access.parse_rules(block, "README")
            assert access.role_of({"email": "ops@example.com"}, rules) == "admin"
            assert (
                access.role_of({"email": "x@example.com", "groups": ["revops"]}, rules) == "editor"
            )
            continue
        if block.startswith("# .streamlit/secrets.toml"):
            # Sign-in's secrets: the keys Streamlit's st.login reads for one provider.
            keys = {"redirect_uri", "cookie_secret", "client_id", "client_secret",
                    "server_metadata_url"}  # fmt: skip
            assert set(tomllib.loads(block)["auth"]) == keys
            continue
        path = tmp_path / f"example{n}.toml"
        path.write_text(block, encoding="utf-8")
        assert mapping.load_mapping(path).kind("leads").table == "leads"


# ---- no data string reaches markdown unescaped (issue 16, item 11) ----------------------------

# The Streamlit calls whose text is markdown: the text itself (first argument) and, for every
# call here, its `help` and `label` arguments. Widgets' labels render markdown too.
MARKDOWN_SINKS = {
    "markdown", "caption", "info", "warning", "success", "error", "write", "toast", "title",
    "header", "subheader", "metric", "badge", "expander", "button", "download_button",
    "selectbox", "radio", "multiselect", "checkbox", "slider", "number_input", "date_input",
    "text_input", "file_uploader", "csv_download",
}  # fmt: skip
# Functions that hand one parameter on to a sink: their callers' arguments are checked instead.
FORWARDED = {"control": ("label",), "csv_download": ("label",), "page": ("title", "question"),
             "number_field": ("label", "help_"),
             "show_lead_list": ("blanks", "download")}  # fmt: skip
# What is not from the data, matched against an expression's source: numbers and Handoff's own
# formatting (fmt), the agreement's words (its stage labels, the period's label, its settings),
# Handoff's fixed vocabulary, and the refusals Handoff words itself. Everything else is a data
# string and must go through handoff.safe.md.
TRUSTED = re.compile(
    r"safe\.md\(.*\)"
    r"|fmt\.\w+\(.*\)|metrics\.(step_label|counting)\(.*\)(\[.*\])?|hours\(.*\)|status\(.*\)"
    r"|(len|int|float|abs|sum|round|min|max)\(.*\)"
    r"|(ctx\.)?(filters\.)?(period|previous|month)\.(label|start|end)"
    r"|((ctx|db)\.)?agreement\.[\w.]+(\[.*\])?|labels\[.*\]|limits\[.*\]|bh\.\w+"
    r"|(VIEWS|PERIODS|MEASURES|words|_SCOPE_LABELS)\[.*\]|(VIEWS|PERIODS|MEASURES)\.get"
    r"|agreement_mod\.plain_language\(.*\)|contract\.markdown_table\(\)"
    r"|agreement_mod\.keys_markdown\(\)"
    r"|(ui|safe)\.(data_changes_refusal|upload_refusal)\(.*\)|(safe|tables)\.[A-Z_]+"
    r"|summary\['mqls'\]"
    r"|metrics\.SCORES\[.*\]|tables\.follow_up_bases\(.*\)\[.*\]"
    r"|contract\.STAGES(\[.*\])?"
    r"|(numbers\[k\]|revenue|won)\['(label|note)'\]|link\.label|section(\.upper\(\))?"
)
MARKDOWN_FILES = ["app.py", *PAGE_FILES, "handoff/ui.py"]
UNKNOWN = ast.Name("a loop variable or parameter")


def _literal_options(value: ast.AST) -> list[ast.AST] | None:
    """The constant options of a radio or select box (its value is one of them)."""
    for keyword in getattr(value, "keywords", []):
        if keyword.arg == "options":
            options = keyword.value
            if isinstance(options, ast.List | ast.Tuple) and all(
                isinstance(o, ast.Constant) for o in options.elts
            ):
                return options.elts
            if TRUSTED.fullmatch(ast.unparse(options).removeprefix("list(").removesuffix(")")):
                return [options]
    return None


def _bind(target: ast.AST, iterable: ast.AST, values: dict) -> None:
    """What a loop gives its variables: over a literal of tuples, each position's values; over
    zip(...), each argument's; over something trusted, trusted; else unknown."""
    if (
        isinstance(iterable, ast.Call)
        and ast.unparse(iterable.func) == "zip"
        and isinstance(target, ast.Tuple)
        and len(target.elts) == len(iterable.args)
    ):
        for part, arg in zip(target.elts, iterable.args, strict=True):
            _bind(part, arg, values)
        return
    if isinstance(iterable, ast.Tuple | ast.List):
        if isinstance(target, ast.Name):
            values.setdefault(target.id, []).extend(iterable.elts)
            return
        rows = iterable.elts
        if isinstance(target, ast.Tuple) and all(
            isinstance(r, ast.Tuple) and len(r.elts) == len(target.elts) for r in rows
        ):
            for i, part in enumerate(target.elts):
                _bind(part, ast.Tuple([r.elts[i] for r in rows]), values)
            return
    if isinstance(iterable, ast.Name):
        given = iterable  # an element of a named collection is as safe as the collection
    else:
        given = ast.Constant("") if TRUSTED.fullmatch(ast.unparse(iterable)) else UNKNOWN
    for name in ast.walk(target):
        if isinstance(name, ast.Name) and isinstance(name.ctx, ast.Store):
            values.setdefault(name.id, []).append(given)


def _assignments(tree: ast.AST) -> dict[str, list[ast.AST]]:
    """Every value each name is given in a file (UNKNOWN: a loop variable or a parameter)."""
    values: dict[str, list[ast.AST]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            options = _literal_options(node.value)
            for target in targets:
                if isinstance(target, ast.Name):
                    values.setdefault(target.id, []).extend(options or [node.value])
                else:
                    _bind(target, node.value, values)
        elif isinstance(node, ast.For | ast.comprehension):
            _bind(node.target, node.iter, values)
        elif (  # lines.append(x), lines.extend([...]), lines += [...]: more values of `lines`
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("append", "extend")
            and isinstance(node.func.value, ast.Name)
        ):
            values.setdefault(node.func.value.id, []).extend(node.args)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            values.setdefault(node.target.id, []).append(node.value)
        elif isinstance(node, ast.FunctionDef):
            for arg in node.args.args + node.args.kwonlyargs:
                forwarded = arg.arg in FORWARDED.get(node.name, ())
                values.setdefault(arg.arg, []).append(ast.Constant("") if forwarded else UNKNOWN)
    return values


def _unescaped(node: ast.AST, names: dict, seen: frozenset = frozenset()) -> list[str]:
    """The parts of a markdown text that may carry a data string without safe.md."""
    if isinstance(node, ast.Constant):
        return []
    if isinstance(node, ast.JoinedStr):
        return [p for v in node.values for p in _unescaped(v, names, seen)]
    if isinstance(node, ast.FormattedValue):
        if node.format_spec is not None:  # a number or a date, formatted
            return []
        return _unescaped(node.value, names, seen)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _unescaped(node.left, names, seen) + _unescaped(node.right, names, seen)
    if isinstance(node, ast.IfExp):
        return _unescaped(node.body, names, seen) + _unescaped(node.orelse, names, seen)
    if isinstance(node, ast.List | ast.Tuple):  # a collection of texts: each of them
        return [p for e in node.elts for p in _unescaped(e, names, seen)]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr == "join" and isinstance(node.func.value, ast.Constant) and node.args:
            parts = node.args[0]  # "sep".join(part for ...): each part
            if isinstance(parts, ast.GeneratorExp | ast.ListComp):
                return _unescaped(parts.elt, names, seen)
        if node.func.attr in ("lower", "upper", "capitalize", "strip") and not node.args:
            return _unescaped(node.func.value, names, seen)
    source = ast.unparse(node)
    if TRUSTED.fullmatch(source):
        return []
    if isinstance(node, ast.Name) and node.id in names and UNKNOWN not in names[node.id]:
        if node.id in seen:
            return []
        return [p for v in names[node.id] for p in _unescaped(v, names, seen | {node.id})]
    return [source]


def _markdown_texts(call: ast.Call) -> list[ast.AST]:
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    texts = [k.value for k in call.keywords if k.arg in ("help", "label", "body")]
    if name in MARKDOWN_SINKS and call.args:
        texts.append(call.args[0])
    if name == "control" and len(call.args) >= 4:  # ui.control(widget, key, initial, label)
        texts.append(call.args[3])
    if name == "show_lead_list":  # its caption and its download button's label
        texts += [k.value for k in call.keywords if k.arg in ("blanks", "download")]
    return texts


@pytest.mark.parametrize("path", MARKDOWN_FILES)
def test_no_data_string_reaches_markdown_unescaped(path):
    """Every value interpolated into markdown text is a number, the agreement's or Handoff's own
    words, or goes through safe.md (a name is followed to every value the file gives it)."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    names = _assignments(tree)
    offenders = [
        f"{path}:{call.lineno}: {part}"
        for call in ast.walk(tree)
        if isinstance(call, ast.Call)
        for text in _markdown_texts(call)
        for part in _unescaped(text, names)
    ]
    assert offenders == []
