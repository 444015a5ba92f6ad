"""zero.gtp.protocol: the GTP engine (protocol, Go commands, player, clock, analysis output); imports games, mcts, zero.common and zero.nn."""
