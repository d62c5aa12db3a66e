"""A local short-video platform (server + its ``simulated`` Platform plugin) for tests and demos."""
