"""Server-rendered pages of the web console."""
