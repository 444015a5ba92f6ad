"""zero.match.runner: matches between GTP engines refereed by our rules engine; imports games, mcts, zero.common and zero.gtp."""
