"""KataGo's rule sets (names and rules objects), their handicap compensation, and how far each is from the rules this engine plays (area scoring, no suicide)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from games.players import FIRST_PLAYER as BLACK
from games.players import SECOND_PLAYER as WHITE

if TYPE_CHECKING:
    from games.go.game import GoGame


@dataclass(frozen=True)
class RuleSet:
    """A rule set in KataGo's terms (its Rules class and docs/Analysis_Engine.md)."""

    ko: str = "POSITIONAL"  # SIMPLE, POSITIONAL or SITUATIONAL
    scoring: str = "AREA"  # AREA or TERRITORY
    tax: str = "NONE"  # NONE, SEKI or ALL
    suicide: bool = False  # multi-stone suicide legal
    has_button: bool = False
    white_handicap_bonus: str = "0"  # 0, N-1 or N: points White gets per handicap stone
    friendly_pass_ok: bool = True

    def superko(self) -> str:
        """The GoRules.superko nearest to this ko rule (a situational superko is played as positional)."""
        return "simple" if self.ko == "SIMPLE" else "positional"

    def unplayable(self) -> list[str]:
        """The fields in which this engine plays differently. Suicide is not among them: it stays illegal, which
        changes no sensible move; handicap compensation is played (:meth:`compensation`, added to the komi)."""
        names = []
        if self.scoring != "AREA":
            names.append("scoring")
        if self.tax != "NONE":
            names.append("tax")
        if self.has_button:
            names.append("hasButton")
        return names

    def compensation(self, game: GoGame) -> int:
        """The points White gets for the game's handicap stones (whiteHandicapBonus: 0, N-1 or N; komi adds them)."""
        stones = handicap_stones(game)
        if self.white_handicap_bonus == "N":
            return stones
        if self.white_handicap_bonus == "N-1":
            return max(stones - 1, 0)
        return 0

    def fields(self) -> dict[str, Any]:
        """KataGo's rules object (what kata-get-rules answers, what parse_rule_set reads back)."""
        return {
            "friendlyPassOk": self.friendly_pass_ok,
            "hasButton": self.has_button,
            "ko": self.ko,
            "scoring": self.scoring,
            "suicide": self.suicide,
            "tax": self.tax,
            "whiteHandicapBonus": self.white_handicap_bonus,
        }

    def to_json(self) -> str:
        """KataGo's kata-get-rules answer."""
        return json.dumps(self.fields(), separators=(",", ":"))


_JAPANESE = RuleSet(ko="SIMPLE", scoring="TERRITORY", tax="SEKI")
_AGA = RuleSet(ko="SITUATIONAL", white_handicap_bonus="N-1")
NAMED_RULE_SETS = {
    "tromp-taylor": RuleSet(suicide=True, friendly_pass_ok=False),
    "chinese": RuleSet(ko="SIMPLE", white_handicap_bonus="N"),
    "chinese-ogs": RuleSet(white_handicap_bonus="N"),
    "chinese-kgs": RuleSet(white_handicap_bonus="N"),
    "japanese": _JAPANESE,
    "korean": _JAPANESE,
    "aga": _AGA,
    "bga": _AGA,
    "french": _AGA,
    "aga-button": replace(_AGA, has_button=True),
    "new-zealand": RuleSet(ko="SITUATIONAL", suicide=True),
    "stone-scoring": RuleSet(ko="SIMPLE", tax="ALL"),
}
_ALIASES = {"tromptaylor": "tromp-taylor", "newzealand": "new-zealand", "stonescoring": "stone-scoring"}
# each field of KataGo's rules objects, under each name KataGo reads it by
_OBJECT_FIELDS = {
    "ko": "ko",
    "koRule": "ko",
    "scoring": "scoring",
    "score": "scoring",
    "scoringRule": "scoring",
    "tax": "tax",
    "taxRule": "tax",
    "suicide": "suicide",
    "multiStoneSuicideLegal": "suicide",
    "hasButton": "has_button",
    "whiteHandicapBonus": "white_handicap_bonus",
    "friendlyPassOk": "friendly_pass_ok",
}
_CHOICES = {
    "ko": ("SIMPLE", "POSITIONAL", "SITUATIONAL"),
    "scoring": ("AREA", "TERRITORY"),
    "tax": ("NONE", "SEKI", "ALL"),
    "white_handicap_bonus": ("0", "N-1", "N"),
}


def parse_rule_set(value: Any) -> RuleSet:
    """A rule set from a KataGo rule name (any case, ``_`` or spaces for ``-``) or rules object; ValueError naming what is wrong."""
    if isinstance(value, str):
        name = re.sub(r"[\s_]+", "-", value.strip().lower())
        name = _ALIASES.get(name, name)
        if name not in NAMED_RULE_SETS:
            raise ValueError(f"unknown rules {value!r}: a name among {', '.join(NAMED_RULE_SETS)}, or a rules object")
        return NAMED_RULE_SETS[name]
    if not isinstance(value, dict):
        raise ValueError(f"rules must be a rule name or a rules object, got {value!r}")
    fields: dict[str, Any] = {}
    for key, item in value.items():
        name = _OBJECT_FIELDS.get(key)
        if name is None:
            raise ValueError(f"unknown rules object field {key!r} (KataGo's: {', '.join(_OBJECT_FIELDS)})")
        if name in _CHOICES:
            item = str(item).upper() if isinstance(item, (str, int)) and not isinstance(item, bool) else item
            if item not in _CHOICES[name]:
                raise ValueError(f"rules {key} must be one of {', '.join(_CHOICES[name])}, got {value[key]!r}")
        elif not isinstance(item, bool):
            raise ValueError(f"rules {key} must be true or false, got {item!r}")
        fields[name] = item
    return RuleSet(**fields)


def handicap_stones(game: GoGame) -> int:
    """The game's handicap stones as KataGo counts them (BoardHistory::computeNumHandicapStones, with
    assumeMultipleStartingBlackMovesAreHandicap, as its GTP engine sets it): Black's set-up stones and Black's
    moves before White's first, which GUIs send for free handicap. White set-up stones, or White moving twice at
    once after Black's opening moves, make it a set-up position (0); one stone is an even game (0)."""
    if game.setup_stones[WHITE]:
        return 0
    opening = 0
    moves = game.moves
    for i, (colour, action) in enumerate(moves):
        if colour != BLACK:
            if i + 1 < len(moves) and moves[i + 1][0] != BLACK:
                opening = 0
            break
        if action != game.pass_action:
            opening += 1
    stones = len(game.setup_stones[BLACK]) + opening
    return stones if stones > 1 else 0
