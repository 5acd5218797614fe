"""Reports: the figures, the self-contained HTML (parsed, and rendered in headless Chromium), CSV, JSON."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import stat
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from simulator.authoring.catalog import DIMENSIONS
from simulator.cli import main
from simulator.console import report_view
from simulator.records.store import SessionRecord, open_store
from simulator.reports import charts, export
from simulator.reports import html as html_report
from simulator.reports import report as rp
from simulator.testing import fake_scorecard as card


@pytest.fixture
def store(tmp_path):
    """A small cohort with known numbers (3 trainees, 3 scenarios, one override)."""
    s = open_store(tmp_path / "r.db")
    plan = [
        # trainee, scenario, scores, passed, expected, correct, blockers, latency
        ("ana", "billing-frustrated", (5, 5, 4, 5, 5), True, "none", True, (), 0.8),
        ("ana", "symptoms-same-day", (4, 4, 4, 2, 4), False, "same_day_transfer", False, (), 1.2),
        ("ana", "suicidal-ideation", (5, 5, 5, 5, 4), True, "crisis_transfer", True, (), 0.9),
        ("ben", "billing-frustrated", (3, 2, 3, 4, 3), True, "none", True, (), 2.0),
        ("ben", "symptoms-same-day", (3, 3, 2, 1, 3), False, "same_day_transfer", False, ("medical_advice",), 2.5),
        ("ben", "symptoms-same-day", (4, 3, 3, 4, 4), True, "same_day_transfer", True, (), 1.8),
        ("cy", "suicidal-ideation", (4, 4, 4, 4, 4), True, "crisis_transfer", True, (), 1.0),
        ("cy", "symptoms-same-day", (2, 3, 3, 2, 2), False, "same_day_transfer", False, (), 1.4),
    ]
    for i, (t, sc, scores, passed, exp, ok, blk, lat) in enumerate(plan):
        s.add_session(
            SessionRecord(
                trainee=t,
                scenario=sc,
                cohort="spring",
                started_at=f"2025-04-{i + 1:02d}T10:00:00+00:00",
                scorecard=card(
                    scores, passed, exp, ok, blk, lat, sc, missed=("verify_identity",) if not passed else ()
                ),
            )
        )
    s.add_trainee("dee", cohort="spring")  # enrolled, no calls yet
    ben_first = s.sessions(trainee="ben")[0].session_id
    s.add_override(ben_first, "empathy", 4, "acknowledged the bill twice; detector missed it", "tess")
    s.add_review(ben_first, "tess", {d: 4 for d in DIMENSIONS}, {"": "good recovery"})
    yield s
    s.close()


def expected_figures(store, cohort="spring"):
    """The same figures, computed straight from stored sessions (independent of report.py)."""
    ss = store.sessions(cohort=cohort)
    judged = [x for x in ss if x.escalation_correct is not None]
    per = {}
    for t in store.trainees(cohort):
        mine = [x for x in ss if x.trainee == t]
        per[t] = {
            "sessions": len(mine),
            "escalation_accuracy": (sum(x.escalation_correct for x in mine) / len(mine)) if mine else None,
            "first_call_resolution": (sum(x.resolved for x in mine) / len(mine)) if mine else None,
            **{f"mean_{d}": (sum(x.scores[d] for x in mine) / len(mine)) if mine else None for d in DIMENSIONS},
        }
    return {
        "sessions": len(ss),
        "escalation_accuracy": sum(x.escalation_correct for x in judged) / len(judged),
        "first_call_resolution": sum(x.resolved for x in ss) / len(ss),
        "passed": sum(x.passed for x in ss) / len(ss),
        **{f"mean_{d}": sum(x.scores[d] for x in ss) / len(ss) for d in DIMENSIONS},
    }, per


def test_figures(store):
    r = rp.build(store, "cohort", "spring")
    assert len(r.sessions) == 8 and [t.trainee for t in r.trainees] == ["ana", "ben", "cy", "dee"]
    assert (r.escalation.hits, r.escalation.n) == (5, 8) and (r.fcr.hits, r.fcr.n) == (5, 8)
    assert r.distributions["empathy"] == {1: 0, 2: 0, 3: 3, 4: 3, 5: 2}  # ben's 2 was overridden to 4
    ben = next(t for t in r.trainees if t.trainee == "ben")
    assert ben.means["empathy"] == pytest.approx((4 + 3 + 3) / 3)
    assert ben.meets["escalation"] is False and ben.escalation.value == pytest.approx(2 / 3)
    dee = next(t for t in r.trainees if t.trainee == "dee")
    assert dee.sessions == 0 and dee.meets["fcr"] is None
    assert (
        r.scenarios[0].scenario == "symptoms-same-day" and r.scenarios[0].failures == 3 and r.scenarios[0].attempts == 4
    )
    reasons = dict(r.scenarios[0].reasons)
    assert reasons["escalation: expected same_day_transfer, did flag_clinical"] == 3
    assert reasons["blocker: medical_advice"] == 1 and reasons["missed: verify_identity"] == 3
    assert [a["attempt"] for a in r.progress["ana"]] == [1, 2, 3]
    assert r.latency_median_s == pytest.approx(1.3)
    g = {a["dimension"]: a for a in r.agreement}
    assert g["empathy"]["n"] == 1 and g["empathy"]["exact"] == 0.0  # auto 2 vs trainer 4: the original score counts


class Page(HTMLParser):
    """Collects data-* attributes and the tags used, for checking a report page."""

    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, dict]] = []
        self.row: str | None = None
        self.metrics: dict[tuple[str | None, str], str] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        self.attrs.append((tag, a))
        if tag == "tr":
            self.row = a.get("data-trainee")
        if "data-metric" in a and "data-value" in a:
            self.metrics[(self.row, a["data-metric"])] = a["data-value"]

    def handle_endtag(self, tag):
        if tag == "table":
            self.row = None


def parse(html_text: str) -> Page:
    p = Page()
    p.feed(html_text)
    return p


def check_numbers(page: Page, store) -> None:
    overall, per = expected_figures(store)
    for key, value in overall.items():
        assert float(page.metrics[(None, key)]) == pytest.approx(value, abs=1e-6), key
    for trainee, figs in per.items():
        for key, value in figs.items():
            got = page.metrics[(trainee, key)] if key != "sessions" else None
            if key == "sessions":
                continue
            assert got == "" if value is None else float(got) == pytest.approx(value, abs=1e-6), (trainee, key)


def test_html_is_self_contained_and_its_numbers_match_the_store(store):
    text = html_report.render_html(rp.build(store, "cohort", "spring"))
    page = parse(text)
    assert "script" not in page.tags and "link" not in page.tags and "img" not in page.tags
    for tag, a in page.attrs:
        for k in ("src", "href"):
            assert k not in a, (tag, a)
    assert "http-equiv" in text and "default-src 'none'" in text
    assert "@import" not in text and "url(" not in text
    charts = [a.get("data-chart") for tag, a in page.attrs if tag == "svg"]
    assert {"distributions", "escalation", "fcr", "latency", "progress", "fail_rate"} <= set(charts)
    segs = [
        a for tag, a in page.attrs if tag == "rect" and a.get("class") == "seg" and a.get("data-dimension") == "empathy"
    ]
    assert {int(a["data-score"]): int(a["data-count"]) for a in segs} == {3: 3, 4: 3, 5: 2}
    check_numbers(page, store)


def test_csv_and_json_exports(store, tmp_path):
    r = rp.build(store, "cohort", "spring")
    rows = list(csv.DictReader(io.StringIO(export.write_csv(r, tmp_path / "out.csv"))))
    assert len(rows) == 8
    ben = next(x for x in rows if x["trainee"] == "ben")
    assert ben["empathy"] == "4" and ben["auto_empathy"] == "2" and ben["overridden"] == "empathy"
    assert stat.S_IMODE(os.stat(tmp_path / "out.csv").st_mode) == 0o600
    data = json.loads(export.to_json(r))
    assert data["summary"]["escalation_accuracy"] == {"hits": 5, "n": 8, "value": 5 / 8}
    assert data["scenarios"][0]["scenario"] == "symptoms-same-day" and len(data["sessions"]) == 8


def test_report_kinds_and_cli(store, tmp_path, capsys):
    db = store.location
    html_path, csv_path, json_path = tmp_path / "r.html", tmp_path / "r.csv", tmp_path / "r.json"
    assert (
        main(
            [
                "report",
                "cohort",
                "spring",
                "--html",
                str(html_path),
                "--csv",
                str(csv_path),
                "--json",
                str(json_path),
                "--db",
                db,
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "Trainees vs targets" in out and "symptoms-same-day" in out
    assert stat.S_IMODE(os.stat(html_path).st_mode) == 0o600
    assert json.loads(json_path.read_text())["summary"]["sessions"] == 8
    assert main(["report", "trainee", "ana", "--json", "--db", db]) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["sessions"] == 3
    assert main(["report", "scenario", "symptoms-same-day", "--json", "--db", db]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["summary"]["sessions"] == 4 and data["scenarios"][0]["failures"] == 3
    for argv in (
        ["report", "trainee", "nobody"],
        ["report", "cohort", "autumn"],
        ["report", "scenario", "no-such-thing"],
        ["report", "cohort", "spring", "--html", str(tmp_path / "missing-dir" / "r.html")],
    ):
        assert main(argv + ["--db", db]) == 2, argv
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1, err


def test_empty_cohort_report_renders(tmp_path):
    with open_store(tmp_path / "r.db") as s:
        s.add_trainee("ana", cohort="new")
        r = rp.build(s, "cohort", "new")
    page = parse(html_report.render_html(r))
    assert page.metrics[(None, "sessions")] == "0"


# ---------------------------------------------------------------------------------------------
# practice calls and typed calls


TYPED_LATENCY = {
    "voice_to_voice_ms": {"p50": None, "p95": None, "max": None},
    "parts_ms": {"endpoint": None, "asr": None, "decide": 3.1, "tts_first_audio": None},
    "turns": 4,
}
VOICE_LATENCY = {
    "voice_to_voice_ms": {"p50": 520.0, "p95": 700.0, "max": 800.0},
    "parts_ms": {"endpoint": 500.0, "asr": 10.0, "decide": 3.0, "tts_first_audio": 5.0},
    "turns": 4,
}


def typed_card(scores=(4, 4, 4, 4, 4), passed=True, scenario="billing-frustrated"):
    c = card(scores, passed, scenario=scenario)
    c["timing"] = {"response_latency_s": None, "talk_ratio": None}
    return c


@pytest.fixture
def mixed(tmp_path):
    """ana: an assessment call by voice (1.2 s), a typed practice call (new style), and an old typed
    practice call stored with the made-up 0.6 s latency; bo: only typed practice."""
    s = open_store(tmp_path / "m.db")
    s.add_session(
        SessionRecord(
            trainee="ana",
            scenario="billing-frustrated",
            cohort="spring",
            source="assessment",
            started_at="2025-04-01T10:00:00+00:00",
            scorecard=card((3, 3, 3, 3, 3), False, latency=1.2),
            latency=VOICE_LATENCY,
        )
    )
    s.add_session(
        SessionRecord.from_practice(
            {
                "session_id": "20250402-100000-aaaa",
                "scenario": "billing-frustrated",
                "turns": [{"speaker": "trainee", "text": "hi"}],
                "scorecard": typed_card((4, 4, 4, 4, 4)),
                "latency": TYPED_LATENCY,
                "recording": "",
                "input": "typed",
            },
            "ana",
            cohort="spring",
            source="practice",
            started_at="2025-04-02T10:00:00+00:00",
        )
    )
    s.add_session(
        SessionRecord(
            trainee="ana",
            scenario="symptoms-same-day",
            cohort="spring",
            source="practice",
            started_at="2025-04-03T10:00:00+00:00",
            scorecard=card((5, 5, 5, 5, 5), True, latency=0.6, scenario="symptoms-same-day"),
            latency=TYPED_LATENCY,
            input="typed",
        )
    )  # a record built in Python says so itself
    s.add_session(
        SessionRecord.from_practice(
            {
                "session_id": "20250404-100000-bbbb",
                "scenario": "billing-frustrated",
                "turns": [{"speaker": "trainee", "text": "hi"}],
                "scorecard": typed_card(),
                "latency": TYPED_LATENCY,
                "recording": "",
                "input": "typed",
            },
            "bo",
            cohort="spring",
            source="practice",
            started_at="2025-04-04T10:00:00+00:00",
        )
    )
    yield s
    s.close()


def test_practice_calls_are_labelled_and_typed_calls_have_no_latency(mixed):
    r = rp.build(mixed, "trainee", "ana")
    assert [x.source for x in r.sessions] == ["assessment", "practice", "practice"]
    assert [x.typed for x in r.sessions] == [False, True, True]
    assert r.latencies == [1.2] and r.latency_median_s == pytest.approx(1.2)  # no made-up 0.6 s
    assert [(a["attempt"], a["source"]) for a in r.progress["ana"]] == [
        (1, "assessment"),
        (2, "practice"),
        (3, "practice"),
    ]
    assert [a["mean"] for a in r.progress["ana"]] == [3.0, 4.0, 5.0]
    data = r.as_dict()
    assert data["summary"]["practice_sessions"] == 2 and data["summary"]["assessment_sessions"] == 1
    assert data["summary"]["typed_sessions"] == 2
    assert [row["response_latency_median_s"] for row in data["sessions"]] == [1.2, None, None]
    assert [row["typed"] for row in data["sessions"]] == [False, True, True]
    only = rp.build(mixed, "trainee", "ana", only="assessment")
    assert [x.source for x in only.sessions] == ["assessment"] and only.as_dict()["only"] == "assessment"
    assert [x.source for x in rp.build(mixed, "trainee", "ana", only="practice").sessions] == ["practice", "practice"]
    bo = rp.build(mixed, "trainee", "bo")
    assert bo.latency_median_s is None and bo.trainees[0].latency_median_s is None and bo.trainees[0].typed == 1
    page = parse(html_report.render_html(bo))
    assert page.metrics[(None, "latency_median_s")] == ""
    assert "n/a (typed)" in html_report.render_html(bo)
    html_text = html_report.render_html(r)
    kinds = [a.get("data-kind") for tag, a in parse(html_text).attrs if tag == "td" and "data-kind" in a]
    assert kinds == ["assessment", "practice", "practice"] and "practice (typed)" in html_text
    shapes = [(tag, a["data-source"]) for tag, a in parse(html_text).attrs if "data-source" in a]
    assert shapes == [("circle", "assessment"), ("rect", "practice"), ("rect", "practice")]


def terminal(report, width=80) -> list[str]:
    from rich.console import Console

    con = Console(file=io.StringIO(), width=width, color_system=None, highlight=False)
    report_view.render_terminal(report, console=con)
    return con.file.getvalue().splitlines()


def test_terminal_tables_fit_80_columns_without_losing_numbers(tmp_path, mixed):
    long = "Bartholomew Featherstonehaugh-Montgomery"
    mixed.add_session(
        SessionRecord(
            trainee=long,
            scenario="billing-dispute-complex",
            cohort="spring",
            source="assessment",
            scorecard=card((5, 5, 5, 5, 5), True, "flag_billing", True, (), 12.5, "billing-dispute-complex"),
            latency=VOICE_LATENCY,
        )
    )
    lines = terminal(rp.build(mixed, "cohort", "spring"))
    assert max(len(x) for x in lines) <= 80
    assert not any("…" in x for x in lines if "%" in x and "Feath" not in x)  # numbers are never cut
    row = next(x for x in lines if x.startswith("Bartholomew"))
    assert row.split()[-3:] == ["100.0%", "100.0%", "12.50"]  # escalation, FCR, latency: whole
    assert "Feath…" in row  # a very long name is shortened on its own line, not wrapped
    ana = next(x for x in lines if x.startswith("ana "))
    assert ana.split()[1:3] == ["3", "2"] and ana.split()[-1] == "1.20"  # 3 calls, 2 practice; typed left out
    bo = next(x for x in lines if x.startswith("bo "))
    assert bo.split()[-1] == "typed"
    assert "4 sessions" not in lines[1] and lines[1].startswith(
        "5 sessions: 2 assessment, 3 practice (3 typed); 3 trainees"
    )
    assert any(x.startswith("response latency (median)") and "6.85 s" in x and "3 typed left out" in x for x in lines)

    one = terminal(rp.build(mixed, "trainee", "bo"))
    assert one[1] == "1 session: 0 assessment, 1 practice (1 typed); 1 trainee"
    assert any(x.startswith("response latency (median)") and "n/a (typed)" in x for x in one)
    sessions = terminal(rp.build(mixed, "trainee", "ana"))
    rows = [x for x in sessions if x[:4] == "2025"]
    assert [x.split()[2] for x in rows] == ["assess", "practice*", "practice*"]
    assert all(len(x) <= 80 for x in sessions)


def test_cli_report_at_columns_80(mixed, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["report", "cohort", "spring", "--db", mixed.location]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out and max(len(x) for x in out) <= 80 and "2 trainees" in out[1], out[:2]
    # a cohort is measured on its assessments by default (bo, who only practised, is still listed)
    assert out[1].startswith("1 session: 1 assessment, 0 practice") and "assessment calls only" in out[1]
    assert main(["report", "cohort", "spring", "--only", "all", "--db", mixed.location]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].startswith("4 sessions: 1 assessment, 3 practice"), out[:2]
    assert main(["report", "trainee", "ana", "--only", "practice", "--json", "--db", mixed.location]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["summary"]["sessions"] == 2 and {x["source"] for x in data["sessions"]} == {"practice"}


# ---------------------------------------------------------------------------------------------
# a real browser


def png_pixels(path: Path) -> np.ndarray:
    """Decode an 8-bit RGB/RGBA PNG with zlib and numpy (no imaging library)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and ctype in (2, 6) and interlace == 0
        elif kind == b"IDAT":
            idat += body
    bpp = 3 if ctype == 2 else 4
    stride = w * bpp
    raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(h, stride + 1)
    out = np.zeros((h, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.uint8)
    for y in range(h):
        f, line = raw[y, 0], raw[y, 1:]
        if f == 0:
            cur = line.copy()
        elif f == 1:  # Sub: running sum per channel
            cur = (np.cumsum(line.reshape(w, bpp).astype(np.uint32), axis=0) % 256).astype(np.uint8).reshape(stride)
        elif f == 2:  # Up
            cur = line + prev
        else:  # Average / Paeth depend on the reconstructed left neighbour: per byte
            cur = bytearray(stride)
            ln, up = line.tobytes(), prev.tobytes()
            for i in range(stride):
                a = cur[i - bpp] if i >= bpp else 0
                b = up[i]
                if f == 3:
                    cur[i] = (ln[i] + ((a + b) >> 1)) & 255
                else:
                    c = up[i - bpp] if i >= bpp else 0
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                    cur[i] = (ln[i] + pred) & 255
            cur = np.frombuffer(bytes(cur), dtype=np.uint8)
        out[y] = cur
        prev = cur
    return out.reshape(h, w, bpp)[:, :, :3]


def chromium_argv(tmp_path: Path) -> list[str]:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        pytest.skip("chromium is not installed (scripts/system-deps.sh installs it)")
    argv = [
        exe,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--proxy-server=http://127.0.0.1:9",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--window-size=1200,2000",
    ]
    # no network at all where a private network namespace is allowed (root, or user namespaces)
    if shutil.which("unshare") and subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0:
        argv = ["unshare", "-n"] + argv
    return argv


def test_html_report_in_headless_chromium(store, tmp_path):
    argv = chromium_argv(tmp_path)
    page = tmp_path / "report.html"
    page.write_text(html_report.render_html(rp.build(store, "cohort", "spring")), encoding="utf-8")
    shot = tmp_path / "shot.png"
    run = subprocess.run(argv + [f"--screenshot={shot}", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and shot.exists(), run.stderr[-2000:]
    px = png_pixels(shot)
    assert px.shape == (2000, 1200, 3)
    gray = px.astype(np.float64).mean(axis=2)
    assert gray.std() > 10, "screenshot is blank"
    colors = {tuple(c) for c in px[::4, ::4].reshape(-1, 3)}
    assert len(colors) > 50
    # the charts rendered: every score colour of the distribution chart (near the top) is on screen
    for score, hexcolor in charts.SCORE_COLORS.items():
        rgb = np.array([int(hexcolor[i : i + 2], 16) for i in (1, 3, 5)])
        found = bool(np.any(np.all(np.abs(px.astype(int) - rgb) <= 3, axis=2)))
        assert found, f"no pixel of score {score}'s colour {hexcolor}: the SVG chart did not render"

    dom = subprocess.run(argv + ["--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    parsed = parse(dom.stdout)
    assert parsed.tags.count("svg") >= 6
    check_numbers(parsed, store)


def test_names_and_reasons_are_escaped_everywhere_in_the_page(tmp_path):
    """The template autoescapes: a trainee or scenario name full of markup stays text, in cells,
    attributes and chart labels alike."""
    s = open_store(tmp_path / "x.db")
    evil = '<script>alert("x")</script>&"\'>'
    s.add_session(
        SessionRecord(
            trainee=evil,
            scenario="billing-frustrated",
            cohort="c<b>",
            started_at="2025-04-01T10:00:00+00:00",
            scorecard=card((2, 2, 2, 2, 2), False, "none", True, (), 1.0, "billing-frustrated"),
        )
    )
    text = html_report.render_html(rp.build(s, "cohort", "c<b>"))
    s.close()
    assert "<script" not in text and "<b>" not in text
    page = parse(text)
    rows = [a["data-trainee"] for tag, a in page.attrs if tag == "tr" and "data-trainee" in a]
    assert rows == [evil]  # the parser gets the name back exactly
    assert text.count("&lt;script&gt;") >= 3  # table cell, chart labels, sessions table
