"""The business of buyerguard in plain Python: no I/O, no clock, no frameworks."""
