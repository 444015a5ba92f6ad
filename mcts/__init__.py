"""Batched PUCT search over flat arrays; sees only action indices, legal masks and the SearchGame/Evaluator protocols (never imports games, torch or ray)."""
