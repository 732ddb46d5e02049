"""The bottom layer: the types every other layer shares (payloads, errors, table shapes,
validation outcomes). It imports nothing from the project."""
