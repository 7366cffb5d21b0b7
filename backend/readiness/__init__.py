"""Readiness: the score of a program, its snapshots, history and forecast."""
