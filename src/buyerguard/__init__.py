"""buyerguard: a shared buyer-risk registry with order screening."""

__version__ = "0.1.0"
