"""Registers planning rests on (risks, aspects, hazards, obligations, incidents) and the improvement register."""
