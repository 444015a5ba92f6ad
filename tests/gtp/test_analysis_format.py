"""lz-analyze / kata-analyze option parsing and line formatting against the GUI field grammar."""

from __future__ import annotations

import pytest

from games.go import BLACK, WHITE
from zero.gtp.analysis import MoveInfo, kata_line, lz_line, parse_analyze_args, select_moves
from zero.gtp.protocol import GtpError

from .analysis_grammar import parse_analysis_line

INFOS = [
    MoveInfo("D4", 120, 0.5321, 0.1234, ("D4", "E5", "C3")),
    MoveInfo("E5", 30, 0.41, 0.2, ("E5",), score_lead=-1.5),
    MoveInfo("pass", 0, 0.5, 0.01, ()),
    MoveInfo("A1", 0, 0.5, 0.3, ()),
]


def test_lz_line_parses_with_integer_fields():
    cands, own = parse_analysis_line(lz_line(INFOS[:2]), kata=False, size=9)
    assert own is None
    assert cands[0] == {
        "move": "D4",
        "visits": 120,
        "winrate": 5321,
        "prior": 1234,
        "lcb": cands[0]["lcb"],
        "order": 0,
        "pv": ["D4", "E5", "C3"],
    }
    assert cands[0]["lcb"] < 5321
    assert cands[1]["pv"] == ["E5"]


def test_kata_line_parses_with_floats_score_and_ownership():
    own = [((i % 3) - 1) * 0.5 for i in range(81)]
    cands, parsed_own = parse_analysis_line(kata_line(INFOS[:2], own), kata=True, size=9)
    assert cands[0]["winrate"] == pytest.approx(0.5321) and cands[0]["prior"] == pytest.approx(0.1234)
    assert "scoreLead" not in cands[0] and cands[1]["scoreLead"] == pytest.approx(-1.5)
    assert parsed_own == pytest.approx(own)


def test_select_moves_orders_by_visits_and_fills_min_moves_by_prior():
    assert [m.move for m in select_moves(INFOS, parse_analyze_args([]))] == ["D4", "E5"]
    assert [m.move for m in select_moves(INFOS, parse_analyze_args(["minmoves", "3"]))] == ["D4", "E5", "A1"]
    assert [m.move for m in select_moves(INFOS, parse_analyze_args(["maxmoves", "1"]))] == ["D4"]


@pytest.mark.parametrize(
    "tokens,color,interval,ownership",
    [
        ([], None, 1.0, False),
        (["b"], BLACK, 1.0, False),
        (["W", "50"], WHITE, 0.5, False),
        (["25"], None, 0.25, False),
        (["black", "interval", "10", "ownership", "true"], BLACK, 0.1, True),
        (["w", "100", "allow", "b", "D4,E5", "1", "minmoves", "2"], WHITE, 1.0, False),
    ],
)
def test_analyze_arguments(tokens, color, interval, ownership):
    opts = parse_analyze_args(tokens)
    assert (opts.color, opts.interval, opts.ownership) == (color, interval, ownership)


@pytest.mark.parametrize(
    "tokens",
    [["b", "x"], ["interval"], ["ownership", "maybe"], ["frob", "1"], ["allow", "b", "D4"], ["minmoves", "-1"]],
)
def test_bad_analyze_arguments_are_syntax_errors(tokens):
    with pytest.raises(GtpError, match="syntax error"):
        parse_analyze_args(tokens)
