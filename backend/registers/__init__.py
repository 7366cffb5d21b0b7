"""The registers planning rests on and the improvement register."""
