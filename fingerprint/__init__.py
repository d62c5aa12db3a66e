"""Video fingerprinting: decoded frames become timed descriptors; pure, no storage."""
