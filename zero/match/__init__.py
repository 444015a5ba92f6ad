"""zero.match: matches between GTP engines refereed by our rules engine; imports games.go, mcts, zero.common and zero.gtp."""
