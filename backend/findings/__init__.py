"""Findings: nonconformities, observations and opportunities, and the corrective action that
answers them."""
