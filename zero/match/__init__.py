"""zero.match: matches between GTP engines refereed by our rules engine; imports games, mcts, zero.common and zero.gtp.

Modules in dependency order: settings (MatchSettings, MatchGame), client (the GTP client and
engine start), referee (one refereed game, its score and SGF), runner (the match and its
report), ladder (the strength ladder through the runner).
"""
