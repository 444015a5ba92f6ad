"""zero.common: the lowest layer of zero: strict config loading, atomic files, the metrics.jsonl writer, Elo statistics; imports no other project package."""
