"""Where things are kept: SQLAlchemy rows, repositories, the unit of work, migrations."""
