"""zero.learn: the replay window and the trainer; imports zero.nn and zero.common, never ray."""
