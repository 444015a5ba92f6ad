"""zero.nn: the policy-value network, its checkpoints and batched inference; imports games.symmetry, mcts protocols and zero.common only."""
