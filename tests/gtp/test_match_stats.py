"""Match statistics: Wilson interval and Elo difference, checked against values computed by hand."""

from __future__ import annotations

import math

import pytest

from zero.common.stats import elo_from_score, format_elo, summarize, wilson_interval


def test_even_score_is_zero_elo_with_symmetric_interval():
    s = summarize(wins=50, losses=50)
    assert s.win_rate == 0.5 and s.elo == pytest.approx(0.0)
    assert s.win_rate_low == pytest.approx(1 - s.win_rate_high)
    assert s.elo_low == pytest.approx(-s.elo_high)
    # Wilson 95% interval for 50/100: 0.5 +- 1.96*sqrt(0.25/100 + 1.96^2/40000)/(1+1.96^2/100)
    z = 1.959963984540054
    half = z * math.sqrt(0.25 / 100 + z * z / 40000) / (1 + z * z / 100)
    assert s.win_rate_high == pytest.approx(0.5 + half)


def test_elo_of_known_scores():
    # expected score 1/(1+10^(-d/400)): d = 400*log10(3) ~ 190.8 for a 75% score
    assert elo_from_score(0.75) == pytest.approx(400 * math.log10(3))
    assert elo_from_score(1 / 11) == pytest.approx(-400.0)
    assert elo_from_score(0.0) is None and elo_from_score(1.0) is None


def test_draws_count_half_and_interval_contains_score():
    s = summarize(wins=3, losses=1, draws=2)
    assert s.games == 6 and s.win_rate == pytest.approx(4 / 6)
    assert s.win_rate_low < s.win_rate < s.win_rate_high
    assert s.elo_low < s.elo < s.elo_high


def test_clean_sweep_has_unbounded_elo_but_finite_lower_bound():
    s = summarize(wins=10, losses=0)
    assert s.win_rate == 1.0 and s.elo is None and s.elo_high is None
    assert s.win_rate_low > 0.6 and s.elo_low is not None and s.elo_low > 0
    assert format_elo(s.elo, +1) == "+inf" and format_elo(-12.4, +1) == "-12"


def test_interval_narrows_with_more_games():
    lo10, hi10 = wilson_interval(0.7, 10)
    lo1000, hi1000 = wilson_interval(0.7, 1000)
    assert hi1000 - lo1000 < (hi10 - lo10) / 5
    assert wilson_interval(0.5, 0) == (0.0, 1.0)
    assert math.isnan(summarize(0, 0).win_rate)


def test_match_with_an_engine_that_exits_at_once_is_a_one_line_error():
    import subprocess
    import sys

    engine = f"{sys.executable} -c pass"
    out = subprocess.run(
        [sys.executable, "-m", "zero.cli", "match", engine, engine, "--games", "2", "--size", "5", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2 and out.stdout == ""  # no report with a NaN win rate (invalid JSON)
    assert (
        out.stderr.splitlines()[-1].startswith("zero: error: no game could be played") and "Traceback" not in out.stderr
    )


def test_an_engine_that_dies_is_reported_with_its_last_stderr_line():
    import sys

    from zero.match.client import GtpClient, GtpClientError

    script = "import sys; sys.stdin.readline(); print('engine: error: no such model', file=sys.stderr); sys.exit(2)"
    with GtpClient([sys.executable, "-c", script], name="dying") as engine:
        with pytest.raises(GtpClientError) as err:
            engine.send("boardsize 9", timeout=30)
    assert str(err.value) == "dying: exited while answering 'boardsize 9': engine: error: no such model"


def test_every_command_after_an_engines_output_ended_fails_at_once():
    """An engine whose output ended while its process lingers (still reading, as a dying engine does for a moment
    under load) must not make the next command wait out the timeout: a match hung 600 s on it."""
    import sys

    from zero.match.client import GtpClient, GtpClientError

    script = "import os, sys, time; sys.stdin.readline(); os.close(1); time.sleep(60)"
    with GtpClient([sys.executable, "-c", script], name="lingering") as engine:
        for command in ("final_score", "final_status_list dead", "boardsize 9"):
            with pytest.raises(GtpClientError) as err:
                engine.send(command, timeout=30)
            assert str(err.value).startswith(f"lingering: exited while answering {command!r}")  # not "in time"
        engine.proc.kill()


SCRIPTED_ENGINE = """
import sys
moves = sys.argv[1].split(",")
for line in sys.stdin:
    words = line.split()
    if not words:
        continue
    if words[0] == "quit":
        print("= \\n", flush=True)
        break
    if words[0] == "play" and len(sys.argv) > 2 and sys.argv[2] == "refuse":
        print("? illegal move\\n", flush=True)
        continue
    if words[0] == "genmove":
        reply = moves.pop(0) if moves else "pass"
    elif words[0] == "known_command":
        reply = "false"
    else:
        reply = ""
    print(f"= {reply}\\n", flush=True)
"""


@pytest.mark.parametrize("superko, illegal", [("positional", True), ("simple", False)])
def test_the_referees_ko_rule_is_the_one_asked_for(tmp_path, superko, illegal):
    import json
    import subprocess
    import sys

    script = tmp_path / "scripted.py"
    script.write_text(SCRIPTED_ENGINE)
    # 2x2: the third Black A1 repeats a whole-board position (positional superko) without retaking a simple ko
    black = f"{sys.executable} {script} A1,B1,A1,A1"
    white = f"{sys.executable} {script} B2,A2,B1"
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "zero.cli",
            "match",
            black,
            white,
            "--games",
            "1",
            "--size",
            "2",
            "--komi",
            "0.5",
            "--superko",
            superko,
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    game = json.loads(out.stdout)["games_detail"][0]
    assert (game["reason"] == "illegal move") == illegal, game
    if illegal:
        assert game["winner"] == "B" and "superko" in game["illegal"]


def test_an_engine_that_refuses_a_move_the_referee_accepted_forfeits_instead_of_playing_on_a_different_board(tmp_path):
    import json
    import subprocess
    import sys

    script = tmp_path / "scripted.py"
    script.write_text(SCRIPTED_ENGINE)
    black = f"{sys.executable} {script} C3,D4"
    white = f"{sys.executable} {script} E5 refuse"  # refuses every move it is told of
    out = subprocess.run(
        [sys.executable, "-m", "zero.cli", "match", black, white, "--games", "1", "--size", "9", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    game = json.loads(out.stdout)["games_detail"][0]
    assert game["reason"] == "refused move" and game["moves"] == 1
    assert game["winner"] == "A" and game["result"] == "B+F" and "B refused 'C3'" in game["illegal"]


@pytest.mark.parametrize("superko, last_reply", [("positional", "? illegal move"), ("simple", "=")])
def test_the_engine_plays_the_ko_rule_it_is_given(superko, last_reply):
    import subprocess
    import sys

    moves = ["B A1", "W B2", "B B1", "W A2", "B A1", "W B1", "B A1"]  # the last one repeats a whole-board position
    commands = "".join(f"play {m}\n" for m in moves) + "quit\n"
    out = subprocess.run(
        [sys.executable, "-m", "zero.cli", "gtp", "--size", "2", "--komi", "0.5", "--superko", superko],
        input=commands,
        capture_output=True,
        text=True,
        timeout=60,
    )
    replies = [r.strip() for r in out.stdout.split("\n\n") if r.strip()]
    assert replies[:6] == ["="] * 6
    assert replies[6] == last_reply


SCORING_ENGINE = """
import sys
# moves, final_score reply, seki stones, dead stones when first asked, dead stones later ("-" = none)
moves, final_score, seki, first_dead, later_dead = (a.strip("-").replace(",", " ") for a in sys.argv[1:6])
moves = moves.split()
dead_asked = 0
for line in sys.stdin:
    words = line.split()
    if not words:
        continue
    if words[0] == "quit":
        print("= \\n", flush=True)
        break
    reply = ""
    if words[0] == "genmove":
        reply = moves.pop(0) if moves else "pass"
    elif words[0] == "kgs-genmove_cleanup":
        reply = "pass"  # captures nothing
    elif words[0] == "known_command":
        reply = "true" if words[1:] == ["kgs-genmove_cleanup"] else "false"
    elif words[0] == "final_score":
        reply = final_score
    elif words[:2] == ["final_status_list", "seki"]:
        reply = seki
    elif words[:2] == ["final_status_list", "dead"]:
        reply = first_dead if dead_asked == 0 else later_dead
        dead_asked += 1
    print(f"= {reply}\\n", flush=True)
"""


def _scored_5x5_match(tmp_path, black_args: str, white_args: str) -> dict:
    """`zero match --json` of one 5x5 game at komi 0.5 between two SCORING_ENGINEs with these arguments."""
    import json
    import subprocess
    import sys

    script = tmp_path / "scoring.py"
    script.write_text(SCORING_ENGINE)
    black, white = (f"{sys.executable} {script} {args}" for args in (black_args, white_args))
    out = subprocess.run(
        [sys.executable, "-m", "zero.cli", "match", black, white, "--games", "1", "--size", "5", "--komi", "0.5"]
        + ["--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.mark.parametrize(
    "their_score, seki, classified",
    [
        ("B+0.5", "A2,B1", "seki"),  # one less than ours: exactly the black eye A1 of a seki they name
        ("W+0.5", "A2,B1", "disagreement"),  # two less: more than the seki eye
        ("B+0.5", "-", "disagreement"),  # one less, but no seki named
        ("B+1.5", "-", "agreement"),
    ],
)
def test_the_referee_tells_a_seki_eye_count_from_a_score_disagreement(tmp_path, their_score, seki, classified):
    # 5x5, komi 0.5: Black A2 B1 around the empty A1 (Tromp-Taylor: Black's), White E5; B+1.5 by our count
    report = _scored_5x5_match(tmp_path, f"A2,B1 {their_score} {seki} - -", f"E5 {their_score} {seki} - -")
    game = report["games_detail"][0]
    assert game["reason"] == "two passes" and game["our_score"] == 1.5 and game["result"] == "B+1.5", game
    expected = {
        "seki": ([], ["A", "B"], 0, 1),
        "disagreement": (["A", "B"], [], 1, 0),
        "agreement": ([], [], 0, 0),
    }[classified]
    assert (
        game["disagreements"],
        game["seki_eye_differences"],
        report["score_disagreements"],
        report["seki_eye_differences"],
    ) == expected


@pytest.mark.parametrize(
    "white_after_cleanup, result",
    [
        ("A1", "B+24.5"),  # both call the white A1 dead after the cleanup phase: it comes off
        ("-", "W+0.5"),  # still no agreement: nothing comes off (Tromp-Taylor on the board as it stands)
    ],
)
def test_after_the_cleanup_phase_the_stones_both_engines_still_call_dead_come_off(
    tmp_path, white_after_cleanup, result
):
    # 5x5, komi 0.5: Black C3, White A1; at first only Black calls A1 dead; neither captures in the cleanup phase
    report = _scored_5x5_match(tmp_path, "C3 0 - A1 A1", f"A1 0 - - {white_after_cleanup}")
    game = report["games_detail"][0]
    assert game["dead_disagreement"] and game["reason"] == "two passes" and game["result"] == result, game


def test_the_sprt_ratio_is_the_binomial_likelihood_ratio_within_walds_bounds():
    from zero.common.stats import expected_score, sprt_bounds, sprt_llr, sprt_verdict

    p0, p1 = expected_score(0.0), expected_score(35.0)
    for wins, losses in [(0, 0), (7, 3), (3, 9), (40, 38)]:
        ratio = (p1**wins * (1 - p1) ** losses) / (p0**wins * (1 - p0) ** losses)
        assert sprt_llr(wins, losses, 0, 0.0, 35.0) == pytest.approx(math.log(ratio))
    assert sprt_llr(5, 4, 2, 0.0, 35.0) == pytest.approx(sprt_llr(6, 5, 0, 0.0, 35.0))  # a draw: half and half
    assert sprt_bounds(0.05, 0.05) == pytest.approx((-math.log(19), math.log(19)))
    lower, upper = sprt_bounds(0.05, 0.2)
    assert sprt_verdict(upper, 0.05, 0.2) == "H1" and sprt_verdict(lower, 0.05, 0.2) == "H0"
    assert sprt_verdict((lower + upper) / 2, 0.05, 0.2) is None


@pytest.mark.parametrize("true_elo, wrong_verdict", [(0.0, "H1"), (35.0, "H0")])
def test_the_sprt_keeps_its_error_rates(true_elo, wrong_verdict):
    """Simulated matches at H0's and at H1's Elo: the wrong verdict comes about as often as alpha (beta) says."""
    import random

    from zero.common.stats import expected_score, sprt_llr, sprt_verdict

    rng = random.Random(12)
    p = expected_score(true_elo)
    verdicts = []
    for _ in range(400):
        wins = losses = 0
        verdict = None
        while verdict is None:
            if rng.random() < p:
                wins += 1
            else:
                losses += 1
            verdict = sprt_verdict(sprt_llr(wins, losses, 0, 0.0, 35.0), 0.05, 0.05)
        verdicts.append(verdict)
    assert verdicts.count(wrong_verdict) / len(verdicts) <= 0.08  # 0.05 at most by Wald, ~3 standard errors


@pytest.mark.parametrize("a_move, b_move, verdict", [("pass", "resign", "H1"), ("resign", "pass", "H0")])
def test_a_match_with_an_sprt_stops_when_the_test_decides(tmp_path, a_move, b_move, verdict):
    import json
    import subprocess
    import sys

    from zero.common.stats import expected_score

    script = tmp_path / "scripted.py"
    script.write_text(SCRIPTED_ENGINE)
    a, b = (f"{sys.executable} {script} {','.join([move] * 100)}" for move in (a_move, b_move))  # kept for all games
    argv = [sys.executable, "-m", "zero.cli", "match", a, b, "--games", "100", "--size", "5", "--sprt", "0,35"]
    out = subprocess.run([*argv, "--json"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    # the engine that resigns loses every game: each game moves the ratio by the same step, to Wald's bound ln 19
    p1 = expected_score(35.0)
    step = math.log(2 * p1) if verdict == "H1" else -math.log(2 * (1 - p1))
    games = math.ceil(math.log(19) / step)
    assert report["games"] == games < 100
    sprt = report["sprt"]
    assert sprt["verdict"] == verdict and sprt["games"] == games and abs(sprt["llr"]) >= math.log(19)
    assert sorted(g["finished"] for g in report["games_detail"]) == list(range(games))
    table = subprocess.run(argv, capture_output=True, text=True, timeout=120).stdout
    assert f"{verdict} accepted after {games} games" in table


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--sprt", "35,0"], "elo0 must be below its elo1"),
        (["--sprt", "0;35"], "--sprt must be two Elo differences"),
        (["--sprt", "0,35", "--sprt-alpha", "0"], "alpha and beta must lie in (0, 1)"),
        (["--sprt", "0,inf"], "within -2000..2000"),
    ],
)
def test_a_malformed_sprt_is_a_one_line_error(flags, message):
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "zero.cli", "match", "x", "y", *flags], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 2 and out.stdout == ""
    assert len(out.stderr.strip().splitlines()) == 1 and message in out.stderr
