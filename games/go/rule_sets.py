"""KataGo's rule sets (names and rules objects) and how far each is from the rules this engine plays (area scoring, no suicide)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from typing import Any


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

    def unplayable(self, handicap: bool) -> list[str]:
        """The fields in which this engine plays differently (``handicap``: the position has handicap stones). Suicide
        is not among them: it stays illegal, which changes no sensible move."""
        names = []
        if self.scoring != "AREA":
            names.append("scoring")
        if self.tax != "NONE":
            names.append("tax")
        if self.has_button:
            names.append("hasButton")
        if handicap and self.white_handicap_bonus != "0":
            names.append("whiteHandicapBonus")
        return names

    def to_json(self) -> str:
        """KataGo's kata-get-rules answer."""
        return json.dumps(
            {
                "friendlyPassOk": self.friendly_pass_ok,
                "hasButton": self.has_button,
                "ko": self.ko,
                "scoring": self.scoring,
                "suicide": self.suicide,
                "tax": self.tax,
                "whiteHandicapBonus": self.white_handicap_bonus,
            },
            separators=(",", ":"),
        )


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
