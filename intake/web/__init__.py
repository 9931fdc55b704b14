"""The reviewer UI: server-rendered pages (Jinja2, autoescaped) with a little plain JavaScript."""
