"""Measures the risk model on simulated and real marketplaces, clean and under attack."""
