"""Management review (harmonized clause 9.3): reviews, their assembled inputs, outputs."""
