"""Use cases: one function, one transaction, through a UnitOfWork."""
