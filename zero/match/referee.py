"""The referee: one game between two GTP engines under our Go rules, its score and its SGF record (no torch/ray; imports games.go lazily).

Both engines get ``boardsize``/``clear_board``/``komi`` (``new_game``); the side to move gets
``genmove``, our rules engine checks the move (an illegal move loses and is reported), the
other engine gets ``play``. A game ends on two passes, a resignation or the move cap. The
result is our Tromp-Taylor area score after removing the stones both engines'
``final_status_list dead`` agree are dead (else both play ``kgs-genmove_cleanup`` where they
can, and what both then still call dead comes off; else our estimate); each engine's own
``final_score`` is recorded, and disagreements with ours are counted, except a difference that
is exactly the empty points inside a seki that one colour surrounds (the engine's
``final_status_list seki``): Tromp-Taylor counts them for that colour, Chinese counting
(GNU Go's) for nobody.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from zero.common.atomic_files import atomic_write_bytes
from zero.match.client import GtpClient, GtpClientError
from zero.match.settings import MatchGame, MatchSettings, referee_move_cap

log = logging.getLogger(__name__)


def _parse_score(text: str) -> float | None:
    """GTP final_score ('B+3.5', 'W+2', '0') -> black - white; None if unreadable."""
    t = text.strip().upper()
    if t in ("0", "DRAW", "JIGO"):
        return 0.0
    try:
        if t.startswith("B+"):
            return float(t[2:])
        if t.startswith("W+"):
            return -float(t[2:])
    except ValueError:
        return None
    return None


def _one_colour_seki_eyes(client: GtpClient, game: Any) -> int | None:
    """Black's minus White's empty points whose neighbours are all stones of one colour that ``client`` calls seki
    (``final_status_list seki`` of the final position); None if it cannot say."""
    import numpy as np

    from games.go import BLACK, EMPTY, WHITE, from_gtp
    from games.go.seki import neighbours

    try:
        ok, body = client.send("final_status_list seki")
    except GtpClientError:  # the game is over and scored: an engine gone now leaves its disagreement standing
        return None
    if not ok:
        return None
    try:
        seki = {from_gtp(v, game.size) for v in body.split()}
    except ValueError:
        return None
    stones = game.stones().reshape(-1)
    balance = 0
    for point in np.flatnonzero(stones == EMPTY).tolist():
        around = neighbours(point, game.size)
        colours = {int(stones[n]) for n in around}
        if seki.issuperset(around) and colours in ({BLACK}, {WHITE}):
            balance += 1 if colours == {BLACK} else -1
    return balance


def _dead_list(client: GtpClient, size: int) -> set[int] | None:
    from games.go import from_gtp

    ok, body = client.send("final_status_list dead")
    if not ok:
        return None
    try:
        return {from_gtp(tok, size) for tok in body.split()}
    except ValueError:
        return None


def referee_rules(settings: MatchSettings):
    """The referee's rules: the match's board, komi and ko rule; the move cap of ``referee_move_cap``."""
    from games.go import NO_MOVE_LIMIT, GoRules

    cap = referee_move_cap(settings.max_moves, settings.size, settings.superko)
    return GoRules(size=settings.size, komi=settings.komi, max_moves=cap or NO_MOVE_LIMIT, superko=settings.superko)


def new_game(client: GtpClient, settings: MatchSettings) -> None:
    """Reset an engine for the next game: board size, empty board, komi."""
    client.ask(f"boardsize {settings.size}")
    client.ask("clear_board")
    client.ask(f"komi {settings.komi:g}")


def play_game(
    index: int, black: tuple[str, GtpClient], white: tuple[str, GtpClient], settings: MatchSettings
) -> MatchGame:
    """Play one refereed game between two engines set up by ``new_game`` (labels "A"/"B") and write its SGF."""
    from games.go import BLACK, WHITE, GoGame
    from mcts import SearchParams
    from zero.gtp.player import EngineParams, GoPlayer

    rec = MatchGame(index, black[0], white[0])
    game = GoGame(referee_rules(settings))
    game.player_names = {BLACK: _label_name(black[0], settings), WHITE: _label_name(white[0], settings)}
    clients = {BLACK: black, WHITE: white}
    winner_color = _play_until_end(index, game, clients, rec, settings, "genmove")
    rec.moves = game.move_number
    if not rec.reason:
        rec.reason = "two passes" if game.passes >= 2 else "move cap"
        reason = rec.reason
        dead_a = _dead_list(black[1], settings.size)
        dead_b = _dead_list(white[1], settings.size)
        if dead_a is not None and dead_a == dead_b:
            dead = sorted(dead_a)
        else:
            rec.dead_disagreement = True
            dead = None
            if game.passes >= 2 and all(
                c.send("known_command kgs-genmove_cleanup")[1] == "true" for _, c in (black, white)
            ):
                # play it out: both engines capture what they call dead, then nothing is dead (Tromp-Taylor), unless
                # both still call the same stones dead (they passed instead of capturing; BENCHMARKS.md, session 19:
                # both engines scored W+8.5 where the referee, taking nothing off, said W+4.5)
                game.passes = 0
                winner_color = _play_until_end(index, game, clients, rec, settings, "kgs-genmove_cleanup")
                rec.moves = game.move_number
                if rec.reason == reason:
                    after_a = _dead_list(black[1], settings.size)
                    dead = sorted(after_a) if after_a and after_a == _dead_list(white[1], settings.size) else []
            if dead is None:
                estimator = GoPlayer(EngineParams(), SearchParams(simulations=2))
                dead = estimator.dead_stones(game)
        if rec.reason != reason:  # the cleanup phase ended by resignation, illegal move or an engine error
            return _finish(rec, game, black, white, settings, winner_color)
        score = game.area_score(dead=dead)
        rec.our_score = score
        for lab, c in (black, white):
            ok, body = c.send("final_score")
            rec.engine_scores[lab] = body if ok else f"? {body}"
            theirs = _parse_score(body) if ok else None
            if theirs is not None and abs(theirs - score) <= 1e-6:
                continue  # the engine agrees
            eyes = None if theirs is None else _one_colour_seki_eyes(c, game)
            if eyes is not None and abs(score - theirs - eyes) <= 1e-6:
                rec.seki_eye_differences.append(lab)
            else:
                rec.disagreements.append(lab)
        rec.result = "0" if score == 0 else f"{'B' if score > 0 else 'W'}+{abs(score):g}"
        winner_color = BLACK if score > 0 else (WHITE if score < 0 else None)
    return _finish(rec, game, black, white, settings, winner_color)


def _finish(
    rec: MatchGame,
    game: Any,
    black: tuple[str, GtpClient],
    white: tuple[str, GtpClient],
    settings: MatchSettings,
    winner_color: int | None,
) -> MatchGame:
    from games.go import BLACK

    if not rec.result:
        tag = {"resignation": "R", "illegal move": "F", "refused move": "F", "engine error": "F"}[rec.reason]
        rec.result = f"{'B' if winner_color == BLACK else 'W'}+{tag}"
    if winner_color is not None:
        rec.winner = black[0] if winner_color == BLACK else white[0]
    if settings.sgf_dir:
        rec.sgf_path = _write_sgf(game, rec, settings)
    return rec


def _play_until_end(
    index: int, game: Any, clients: dict, rec: MatchGame, settings: MatchSettings, command: str
) -> int | None:
    """Ask for moves with ``command`` until two passes or the move cap; sets rec.reason and returns the winner on a forfeit."""
    from games import opponent
    from games.go import BLACK, IllegalMoveError, from_gtp, to_gtp

    while not game.is_over:
        color = game.to_move
        label, client = clients[color]
        other_label, other = clients[opponent(color)]
        name = "b" if color == BLACK else "w"
        try:
            reply = client.ask(f"{command} {name}", settings.timeout).strip()
        except GtpClientError as exc:
            log.warning("game %d: %s", index, exc)
            rec.reason = "engine error"
            return opponent(color)
        if reply.lower() == "resign":
            rec.reason = "resignation"
            game.resign(color)
            return opponent(color)
        try:
            game.play(from_gtp(reply, settings.size), color)
        except (IllegalMoveError, ValueError) as exc:
            rec.illegal = f"{label} played {reply!r}: {exc}"
            rec.reason = "illegal move"
            log.warning("game %d: %s", index, rec.illegal)
            return opponent(color)
        ok, body = other.send(f"play {name} {to_gtp(game.moves[-1][1], settings.size)}")
        if not ok:
            # The opponent refuses a move the referee accepted: its rules differ from the match's (e.g. positional
            # superko against --superko simple), and its board no longer matches ours. Going on would have it play
            # on a board it does not see; it forfeits, as an engine that plays an illegal move does.
            rec.illegal = f"{other_label} refused {reply!r}: {body}"
            rec.reason = "refused move"
            log.warning("game %d: %s", index, rec.illegal)
            return color
    return None


def _label_name(label: str, settings: MatchSettings) -> str:
    return settings.name_a if label == "A" else settings.name_b


def _write_sgf(game: Any, rec: MatchGame, settings: MatchSettings) -> str:
    """SGF of the game with our result and notes; written atomically."""
    from sgfmill import sgf

    from games.go import game_to_sgf

    text = game_to_sgf(game)
    record = sgf.Sgf_game.from_string(text)
    root = record.get_root()
    root.set("RE", rec.result)
    root.set("PB", _label_name(rec.black, settings))
    root.set("PW", _label_name(rec.white, settings))
    notes = [f"end: {rec.reason}"]
    if rec.illegal:
        notes.append(rec.illegal)
    for lab, s in rec.engine_scores.items():
        notes.append(f"{_label_name(lab, settings)} final_score {s}")
    root.set("GC", "; ".join(notes))
    path = Path(settings.sgf_dir) / f"game_{rec.index:04d}.sgf"
    atomic_write_bytes(path, record.serialise())
    return str(path)
