"""Ray self-play layer: workers, replay feed, trainer loop and the orchestrator; the only package that imports ray."""
