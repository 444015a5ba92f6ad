"""Package data: the networks shipped with zero (<name>.safetensors + <name>.json + model card <name>.md); read through zero.nn.shipped, never by a path relative to the working folder."""
