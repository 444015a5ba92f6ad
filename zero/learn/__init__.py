"""zero.learn: the replay window and the trainer; imports games.symmetry, zero.common and zero.nn, never ray."""
