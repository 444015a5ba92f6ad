"""zero.nn: the policy-value network, its checkpoints and batched inference (torch); imports zero.common only."""
