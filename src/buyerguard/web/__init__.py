"""Everything reached over HTTP: the JSON API and the server-rendered pages."""
