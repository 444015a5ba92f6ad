"""zero.common: the lowest layer of zero: strict config loading, atomic files; imports no other project package."""
