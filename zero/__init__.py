"""zero: the CLI, configuration, network, training, replay, checkpoints and GTP; import submodules directly (this file stays empty on purpose)."""
