"""zero.gtp: the GTP engine (protocol, Go commands, player, clock, analysis output); imports games.go and mcts (the network comes in as an mcts Evaluator)."""
